/**
 * `sockit tcp-echo`: the command-line face of the TCP echo server and
 * client: their options, help and how the options become a run.
 *
 * @module
 */

import { processIo } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { MESSAGE_OPTIONS, messagesFrom } from "../cli/messages.ts";
import { choice, count, duration } from "../cli/option.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS,
} from "../net/accept_loop.ts";
import { listenOn } from "../net/listen.ts";
import {
  clientTlsFrom,
  connectOptions,
  endpointFrom,
  loggerFrom,
  serverOptions,
  serverTlsFrom,
  timeoutOption,
  TLS_CLIENT_OPTIONS,
  TLS_SERVER_OPTIONS,
} from "../net/options.ts";
import { runServer } from "../net/server_runner.ts";
import { runTcpEchoClient } from "./client.ts";
import { ECHO_MODES } from "./line_modes.ts";
import { DEFAULT_ECHO_MODE, serveTcpEcho, TCP_ECHO_PORT } from "./server.ts";

/** How long the client waits for a connection and for each reply by default: 10 s. */
export const TCP_ECHO_CLIENT_TIMEOUT_MS = 10_000;

const server = defineCommand({
  role: "server",
  summary: "echo back what each client sends",
  options: {
    ...serverOptions(TCP_ECHO_PORT),
    ...TLS_SERVER_OPTIONS,
    mode: choice({
      help:
        "echo: bytes as they are; upper, reverse: line by line, lines up to 64 KiB",
      value: "MODE",
      choices: ECHO_MODES,
      default: DEFAULT_ECHO_MODE,
    }),
    maxConns: count({
      help: "Connections open at once; one more is closed at once",
      value: "N",
      min: 1,
      max: 100000,
      default: DEFAULT_MAX_CONNS,
    }),
    idleTimeout: duration({
      help: "Close a connection with no traffic this long; 0 = never",
      value: "SECONDS",
      min: 0,
      max: 86_400_000,
      default: DEFAULT_IDLE_TIMEOUT_MS,
    }),
  },
  async run(values) {
    const tls = await serverTlsFrom(values);
    const logger = loggerFrom(values, "tcp-echo");
    if (tls) logger.notice("tls", { cert_sha256: tls.sha256 });
    return await runServer({
      service: "tcp-echo",
      logger,
      tls: tls !== undefined,
      endpoint: endpointFrom(values, "tcp"),
      bind: (endpoint) => listenOn(endpoint, tls),
      serve: (listener, signal, force) =>
        serveTcpEcho(listener, {
          signal,
          force,
          logger,
          mode: values.mode,
          maxConns: values.maxConns,
          idleTimeoutMs: values.idleTimeout,
          graceMs: values.grace,
        }),
    });
  },
});

const client = defineCommand({
  role: "client",
  summary: "send messages and print the replies",
  options: {
    ...connectOptions(TCP_ECHO_PORT),
    ...timeoutOption(TCP_ECHO_CLIENT_TIMEOUT_MS),
    ...TLS_CLIENT_OPTIONS,
    ...MESSAGE_OPTIONS,
  },
  usage: "[--message TEXT [--expect TEXT]]... [options]",
  async run(values) {
    const io = processIo();
    const tls = await clientTlsFrom(values, io);
    return await runTcpEchoClient({
      endpoint: endpointFrom(values, "tcp"),
      ...(tls ? { tls } : {}),
      ...messagesFrom(values),
      timeoutMs: values.timeout,
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
    "connection only as fast as it reads the replies (2 KiB buffer per connection, 128 KiB once\n" +
    "it streams). With --mode upper or reverse it answers line by line; a line over 64 KiB closes\n" +
    "that connection.",
    "The client sends each --message followed by a newline and reads the reply up to as many\n" +
    "newlines. Without --message it prompts '>>> ' on a terminal ('quit' or Ctrl-D ends it);\n" +
    "otherwise it streams stdin to the server, half-closes at EOF, and copies what the server\n" +
    "sends to stdout until the server closes.",
  ],
  examples: [
    "sockit tcp-echo server --port 0",
    "sockit tcp-echo client --port 20000 --message hi --expect hi",
    "printf 'abc' | sockit tcp-echo client --port 20000",
    "sockit tcp-echo server --unix /tmp/echo.sock --mode upper",
  ],
};
