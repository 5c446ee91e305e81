/**
 * `sockit udp-upper`: the command-line face of the UDP uppercase server and
 * client.
 *
 * @module
 */

import { TRACE_OPTIONS, tracerFrom } from "../options/trace_options.ts";
import { processIo } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { MESSAGE_OPTIONS, messagesFrom } from "../cli/messages.ts";
import { count, flag } from "../cli/option.ts";
import {
  connectOptions,
  endpointFrom,
  listenOptions,
  positionalAddress,
} from "../options/address_options.ts";
import { GRACE_OPTIONS, timeoutOption } from "../options/limit_options.ts";
import { logOptions } from "../options/log_options.ts";
import { PEER_OPTIONS } from "../options/peer_options.ts";
import { runDatagramServer } from "../options/serve_command.ts";
import { runUdpUpperClient } from "./client.ts";
import { DEFAULT_RATE_PER_SECOND } from "./reflection_guard.ts";
import { serveUdpUpper, UDP_UPPER_PORT } from "./server.ts";

/** The client's first wait for a reply, doubled on each resend: 0.5 s. */
export const UDP_UPPER_CLIENT_TIMEOUT_MS = 500;
/** Resends per message by default: 4. */
export const UDP_UPPER_RETRIES = 4;
/** The most resends `--retries` allows: 10. */
export const MAX_UDP_RETRIES = 10;

const server = defineCommand({
  role: "server",
  summary: "answer each datagram with it uppercased",
  address: positionalAddress("udp", { server: true, unix: true }),
  usage: "[ADDRESS] [options]",
  options: {
    ...listenOptions(UDP_UPPER_PORT),
    ...GRACE_OPTIONS,
    ...PEER_OPTIONS,
    ...logOptions("Do not log each datagram"),
    rate: count({
      help: "Replies per second per source address; 0 = no cap",
      value: "N",
      min: 0,
      max: 1_000_000_000,
      default: DEFAULT_RATE_PER_SECOND,
    }),
  },
  run(values) {
    return runDatagramServer({
      service: "udp-upper",
      values,
      serve: async (socket, context) => {
        await serveUdpUpper(socket, {
          ...context,
          graceMs: values.grace,
          ratePerSecond: values.rate,
        });
      },
    });
  },
});

const client = defineCommand({
  role: "client",
  summary: "send datagrams and print the replies, retransmitting on loss",
  address: positionalAddress("udp", { server: false, unix: true }),
  options: {
    ...connectOptions(UDP_UPPER_PORT),
    ...TRACE_OPTIONS,
    ...timeoutOption(
      UDP_UPPER_CLIENT_TIMEOUT_MS,
      "The first wait for a reply; each resend waits twice as long",
    ),
    retries: count({
      help: "Resends per message, each waiting twice as long as the last",
      value: "N",
      min: 0,
      max: MAX_UDP_RETRIES,
      default: UDP_UPPER_RETRIES,
    }),
    ...MESSAGE_OPTIONS,
    verbose: flag({ help: "Log resends and ignored datagrams on stderr" }),
  },
  usage: "[ADDRESS] [-m TEXT [-e TEXT]]... [options]",
  async run(values) {
    using tracer = tracerFrom(values);
    return await runUdpUpperClient({
      tracer,
      endpoint: endpointFrom(values, "udp"),
      ...messagesFrom(values),
      timeoutMs: values.timeout,
      retries: values.retries,
      verbose: values.verbose,
    }, processIo());
  },
});

/** `sockit udp-upper`: a UDP uppercase server and client. */
export const UDP_UPPER: Service = {
  name: "udp-upper",
  summary: "UDP uppercase server and client",
  commands: [server, client],
  notes: [
    "The server answers each datagram with it uppercased: valid UTF-8 character by character,\n" +
    "except a character whose uppercase form takes more bytes (so a reply is never longer than\n" +
    "its request); other bytes get only ASCII letters uppercased. It never answers source port 0,\n" +
    "ports 7, 13, 17, 19, 37, or itself, and caps replies per source address (--rate); dropped\n" +
    "datagrams are counted and logged once a second. Datagrams up to 65,507 bytes.",
    "The client waits --timeout for each reply, resends with the wait doubled, --retries times,\n" +
    "then exits 1. It accepts replies only from the address it sent to, and ignores a reply that\n" +
    "answers an earlier message (a late duplicate). A --host name resolves to IPv4 first.\n" +
    "Without --message: a '>>> ' prompt on a terminal, else one datagram per stdin line.",
    "Both roles also speak unix datagram sockets (--unix PATH, or unix:PATH as the address); a\n" +
    "unix datagram is not lost, so the client sends it once and waits as long as all the\n" +
    "resends would have taken.",
    "Deno's UDP API is unstable in Deno 2.9: sockit runs with --unstable-net.",
  ],
  examples: [
    "sockit udp-upper server",
    "sockit udp-upper client --port 3000 --message hello --expect HELLO",
    "sockit udp-upper client --host localhost --port 3000 --message hi --timeout 0.2 --retries 2",
    "sockit udp-upper server --host ::1 --port 0",
  ],
};
