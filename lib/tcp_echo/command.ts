/**
 * `sockit tcp-echo`: the command-line face of the TCP echo server and
 * client: their options, help and how the options become a run.
 *
 * @module
 */

import { TRACE_OPTIONS, tracerFrom } from "../options/trace_options.ts";
import { processIo } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { MESSAGE_OPTIONS, messagesFrom } from "../cli/messages.ts";
import { choice, flag } from "../cli/option.ts";
import {
  acceptLoopFrom,
  connectionLimitOptions,
  timeoutOption,
} from "../options/limit_options.ts";
import {
  connectOptions,
  endpointFrom,
  positionalAddress,
} from "../options/address_options.ts";
import { runStreamServer, serverOptions } from "../options/serve_command.ts";
import {
  clientTlsFrom,
  serverTlsFrom,
  TLS_CLIENT_OPTIONS,
  TLS_SERVER_OPTIONS,
} from "../options/tls_options.ts";
import { runTcpEchoClient } from "./client.ts";
import { ECHO_MODES } from "./line_modes.ts";
import { formatSizeInProse as size } from "../io/units.ts";
import {
  DEFAULT_ECHO_MODE,
  ECHO_ALONE_BYTES,
  ECHO_START_BYTES,
  ECHO_STREAM_BYTES,
  serveTcpEcho,
  TCP_ECHO_PORT,
} from "./server.ts";

/** How long the client waits for a connection and for each reply by default: 10 s. */
export const TCP_ECHO_CLIENT_TIMEOUT_MS = 10_000;

const server = defineCommand({
  role: "server",
  summary: "echo back what each client sends",
  address: positionalAddress("tcp", { server: true, unix: true }),
  usage: "[ADDRESS] [options]",
  options: {
    ...serverOptions(TCP_ECHO_PORT),
    ...TLS_SERVER_OPTIONS,
    mode: choice({
      help:
        "echo: bytes as they are; upper: each chunk as it comes; reverse: line by line (lines up to 64 KiB), a partial line at a 50 ms pause",
      value: "MODE",
      choices: ECHO_MODES,
      default: DEFAULT_ECHO_MODE,
    }),
    ...connectionLimitOptions("Close a connection with no traffic"),
  },
  async run(values) {
    return await runStreamServer({
      service: "tcp-echo",
      values,
      tls: await serverTlsFrom(values),
      serve: (listener, context) =>
        serveTcpEcho(listener, {
          ...context,
          ...acceptLoopFrom(values),
          mode: values.mode,
        }),
    });
  },
});

const client = defineCommand({
  role: "client",
  summary: "send messages and print the replies",
  address: positionalAddress("tcp", { server: false, unix: true }),
  options: {
    ...connectOptions(TCP_ECHO_PORT),
    ...timeoutOption(TCP_ECHO_CLIENT_TIMEOUT_MS),
    ...TLS_CLIENT_OPTIONS,
    ...MESSAGE_OPTIONS,
    ...TRACE_OPTIONS,
    noNewline: flag({
      help:
        "Send each --message as it is, with no newline, and take all the server sends until it closes or pauses for --timeout as the reply",
      short: "n",
    }),
  },
  usage: "[ADDRESS] [-m TEXT [-e TEXT]]... [options]",
  async run(values) {
    const io = processIo();
    const tls = await clientTlsFrom(values, io);
    using tracer = tracerFrom(values);
    return await runTcpEchoClient({
      tracer,
      endpoint: endpointFrom(values, "tcp"),
      ...(tls ? { tls } : {}),
      ...messagesFrom(values),
      timeoutMs: values.timeout,
      noNewline: values.noNewline,
    }, io);
  },
});

/** `sockit tcp-echo`: a TCP echo server and client. */
export const TCP_ECHO: Service = {
  name: "tcp-echo",
  summary: "TCP echo server and client",
  commands: [server, client],
  notes: [
    "The server sends back exactly the bytes it receives, to many clients at once, reading a\n" +
    `connection only as fast as it reads the replies (a ${
      size(ECHO_START_BYTES)
    } buffer per connection,\n` +
    `growing to ${size(ECHO_STREAM_BYTES)} while it streams, ${
      size(ECHO_ALONE_BYTES)
    } while it is the only stream).\n` +
    "--mode upper uppercases each chunk as it arrives (holding back only a split\n" +
    "UTF-8 character). --mode reverse answers line by line, keeping each line's ending, and a\n" +
    "partial line once the client pauses for 50 ms (the same pause ends a raw exec command); a\n" +
    "line over 64 KiB closes that connection.",
    "The client sends each --message followed by a newline and reads the reply up to as many\n" +
    "newlines; a server that closes or goes silent for --timeout first gets what it did send\n" +
    "taken as the reply. With -n it sends each message as it is and takes everything until the\n" +
    "server closes or pauses for --timeout. Without --message it prompts '>>> ' on a terminal\n" +
    "('quit' or Ctrl-D ends it);\n" +
    "otherwise it streams stdin to the server, half-closes at EOF, and copies what the server\n" +
    "sends to stdout until the server closes.",
  ],
  examples: [
    "sockit tcp-echo server",
    "sockit tcp-echo client --port 20000 --message hi --expect hi",
    "sockit tcp-echo client 127.0.0.1:20000 -n -m hello -t 0.5",
    "printf 'abc' | sockit tcp-echo client --port 20000",
    "sockit tcp-echo server --unix /tmp/echo.sock --mode upper",
  ],
};
