/**
 * `sockit chat`: the command-line face of the UDP chat server and client.
 *
 * @module
 */

import { TRACE_OPTIONS, tracerFrom } from "../options/trace_options.ts";
import { processIo } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { flag, text } from "../cli/option.ts";
import {
  bindOptions,
  endpointFrom,
  hostPortOptions,
  positionalAddress,
} from "../options/address_options.ts";
import { GRACE_OPTIONS } from "../options/limit_options.ts";
import { logOptions } from "../options/log_options.ts";
import { PEER_OPTIONS } from "../options/peer_options.ts";
import { runDatagramServer } from "../options/serve_command.ts";
import { runChatClient } from "./client.ts";
import { nameProblem } from "./message.ts";
import { CHAT_PORT, runChatServer } from "./server.ts";

const server = defineCommand({
  role: "server",
  summary: "show every message; send typed lines to the last writer",
  address: positionalAddress("udp", { server: true, unix: false }),
  usage: "[ADDRESS] [options]",
  options: {
    ...bindOptions(CHAT_PORT),
    ...PEER_OPTIONS,
    ...GRACE_OPTIONS,
    ...logOptions(
      "No effect: the chat server logs only warnings (kept so every server takes it)",
    ),
  },
  run(values) {
    return runDatagramServer({
      service: "chat",
      values,
      serve: async (socket, context) => {
        await runChatServer(socket, {
          ...context,
          graceMs: values.grace,
          io: processIo(),
        });
      },
    });
  },
});

const client = defineCommand({
  role: "client",
  summary: "send each typed line under a name; show the server's lines",
  address: positionalAddress("udp", { server: false, unix: false }),
  options: {
    ...hostPortOptions(CHAT_PORT),
    ...TRACE_OPTIONS,
    name: text({
      help: "Your name in the chat (required, up to 32 characters)",
      value: "NAME",
      required: "Option --name is required: say who you are",
      check: nameProblem,
    }),
    verbose: flag({
      help: "Log datagrams from anyone but the server on stderr",
    }),
  },
  usage: "[ADDRESS] --name NAME [options]",
  async run(values) {
    using tracer = tracerFrom(values);
    return await runChatClient({
      tracer,
      endpoint: endpointFrom(values, "udp"),
      name: values.name,
      verbose: values.verbose,
    }, processIo());
  },
});

/** `sockit chat`: a small UDP chat. */
export const CHAT: Service = {
  name: "chat",
  summary: "A small UDP chat: a server and named clients",
  commands: [server, client],
  notes: [
    "Each client line goes to the server tagged with the client's name; the server prints\n" +
    "'NAME@HOST:PORT: TEXT'. Each line the server's operator types goes to the client that\n" +
    "wrote last; '/to NAME' sends to NAME from then on, '/to' alone goes back to the last\n" +
    "writer. 'quit' or Ctrl-D ends either side; the server's end ends its clients too.\n" +
    "Lines up to 4 KiB; the server remembers up to 256 clients. UDP may lose a line.",
    "The chat speaks UDP only: Deno 2.9's unix datagram sockets cannot send while a receive is\n" +
    "pending, and a chat must do both at once (udp-upper, which never does, has --unix).",
    "The seeds' raw chat works too: the server takes a datagram that is not a chat message as a\n" +
    "line from a client named by its address ('HOST:PORT: TEXT') and answers it in raw text;\n" +
    "the client shows a raw-text datagram from its server as 'server: TEXT'.",
  ],
  examples: [
    "sockit chat server",
    "sockit chat client --name alice",
  ],
};
