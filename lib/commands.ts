/**
 * The command table: every `sockit` service and role, its options with
 * bounds and defaults, and how each turns validated options into a run.
 * `main.ts` parses against this table and dispatches.
 *
 * @module
 */

import { type Endpoint, formatHostPort, isLoopbackHost } from "./net/address.ts";
import type { CommandSpec, OptionValues, ServiceSpec } from "./cli/parse.ts";
import { processIo } from "./cli/client_io.ts";
import { runDemo } from "./demo/run.ts";
import { type BenchTarget, runBench } from "./bench/run.ts";
import {
  checkBenchGuards,
  formatBenchResult,
  ProgressLine,
} from "./bench/report.ts";
import { SockitError, UsageError } from "./cli/errors.ts";
import { loadToken, TokenCheck } from "./exec/auth.ts";
import { runExecClient } from "./exec/client.ts";
import { serveExec } from "./exec/server.ts";
import { quoteWord } from "./exec/shell_words.ts";
import { type ByteWriter, readFull, writeAll } from "./io/streams.ts";
import {
  type ClientTls,
  loadCaCerts,
  loadServerTls,
  parsePin,
  type ServerTls,
} from "./net/tls.ts";
import { ECHO_MODES, type EchoMode } from "./tcp_echo/line_modes.ts";
import { type LogFormat, Logger } from "./io/log.ts";
import { bindDatagram, listenOn } from "./net/listen.ts";
import { runChatClient, runChatServer } from "./chat/chat.ts";
import { nameProblem } from "./chat/message.ts";
import { runUdpUpperClient, serveUdpUpper } from "./udp_upper/udp_upper.ts";
import { parseWaitTarget, waitForAll } from "./wait/wait.ts";
import { formatSize, type OptionSpec } from "./cli/option.ts";
import { runServer } from "./net/server_runner.ts";
import { runTcpEchoClient, serveTcpEcho } from "./tcp_echo/tcp_echo.ts";

/** Options every server has: where to listen, logging, shutdown grace. */
export function serverOptions(
  defaultPort: number,
  features: { unix: boolean; grace: boolean } = { unix: true, grace: true },
): OptionSpec[] {
  const options: OptionSpec[] = [
    {
      name: "host",
      type: { kind: "text" },
      value: "HOST",
      default: "127.0.0.1",
      help: "Address to bind",
    },
    {
      name: "port",
      type: { kind: "port", min: 0 },
      value: "PORT",
      default: defaultPort,
      help: "Port to listen on; 0 picks a free one",
    },
    {
      name: "unix",
      type: { kind: "text" },
      value: "PATH",
      help: "Listen on a unix socket instead of host and port",
    },
    {
      name: "log-format",
      type: { kind: "choice", choices: ["text", "json"] },
      value: "FORMAT",
      default: "text",
      help:
        "Log lines on stderr as text or one JSON object each; a slow stderr gets up to 256 KiB queued (warnings 512 KiB), then lines are dropped and counted",
    },
    {
      name: "quiet",
      type: { kind: "flag" },
      help: "Do not log each connection",
    },
    {
      name: "grace",
      type: { kind: "seconds", min: 0, max: 3600 },
      value: "SECONDS",
      default: 5,
      help:
        "On SIGINT/SIGTERM, time in-flight work gets to finish; a second signal ends it at once",
    },
  ];
  return options.filter((o) =>
    (features.unix || o.name !== "unix") &&
    (features.grace || o.name !== "grace")
  );
}

/** Options every client has: where to connect and how long to wait. */
export function clientOptions(
  defaultPort: number,
  defaultTimeout: number,
  features: { unix: boolean } = { unix: true },
): OptionSpec[] {
  const options: OptionSpec[] = [
    {
      name: "host",
      type: { kind: "text" },
      value: "HOST",
      default: "127.0.0.1",
      help: "Server host name or address",
    },
    {
      name: "port",
      type: { kind: "port", min: 1 },
      value: "PORT",
      default: defaultPort,
      help: "Server port",
    },
    {
      name: "unix",
      type: { kind: "text" },
      value: "PATH",
      help: "Connect to a unix socket instead",
    },
    {
      name: "timeout",
      type: { kind: "seconds", min: 0.001, max: 3600 },
      value: "SECONDS",
      default: defaultTimeout,
      help: "Limit on the connect and on each reply",
    },
  ];
  return options.filter((o) => features.unix || o.name !== "unix");
}

/** Options of TCP servers that can serve TLS. */
export const TLS_SERVER_OPTIONS: readonly OptionSpec[] = [
  {
    name: "tls-cert",
    type: { kind: "text" },
    value: "FILE",
    help: "Serve TLS with this PEM certificate chain (needs --tls-key)",
  },
  {
    name: "tls-key",
    type: { kind: "text" },
    value: "FILE",
    help: "The PEM private key of --tls-cert",
  },
];

/** Options of TCP clients that can speak TLS. */
export const TLS_CLIENT_OPTIONS: readonly OptionSpec[] = [
  {
    name: "tls",
    type: { kind: "flag" },
    help: "Connect over TLS, checking the certificate against the system CAs",
  },
  {
    name: "tls-ca",
    type: { kind: "text" },
    value: "FILE",
    help: "Trust only the CA certificates in this PEM file (implies --tls)",
  },
  {
    name: "tls-pin",
    type: { kind: "text" },
    value: "SHA256",
    help:
      "Accept only this certificate fingerprint; replaces CA checks unless --tls-ca",
  },
  {
    name: "tls-insecure",
    type: { kind: "flag" },
    help: "Check no certificate (prints a warning; never with a token)",
  },
];

/**
 * Reads `--tls-cert` and `--tls-key`: both or neither.
 *
 * @example
 * ```ts
 * import { serverTlsFrom } from "./commands.ts";
 * import { OptionValues } from "./cli/parse.ts";
 * console.assert(await serverTlsFrom(new OptionValues(new Map(), []), "h") === undefined);
 * ```
 */
export async function serverTlsFrom(
  values: OptionValues,
  help: string,
): Promise<ServerTls | undefined> {
  const cert = values.text("tls-cert");
  const key = values.text("tls-key");
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new UsageError(
      "Options --tls-cert and --tls-key go together: give both",
      help,
    );
  }
  if (values.has("unix")) {
    throw new UsageError(
      "TLS works over TCP only: drop --unix or --tls-cert/--tls-key",
      help,
    );
  }
  return await loadServerTls(cert, key, help);
}

/** The warning `--tls-insecure` prints on stderr. */
export const TLS_INSECURE_WARNING =
  "sockit: warning: --tls-insecure: the server's certificate is not checked; anyone on the path can read and change this connection\n";

/**
 * Reads `--tls`, `--tls-ca`, `--tls-pin` and `--tls-insecure`; `undefined`
 * means plain TCP. Writes the `--tls-insecure` warning to `stderr`.
 *
 * @example
 * ```ts
 * import { clientTlsFrom } from "./commands.ts";
 * import { OptionValues } from "./cli/parse.ts";
 * import { MemoryWriter } from "./io/streams.ts";
 * const tls = await clientTlsFrom(new OptionValues(new Map([["tls", true]]), []), "h", new MemoryWriter());
 * console.assert(tls !== undefined && tls.insecure === undefined);
 * ```
 */
export async function clientTlsFrom(
  values: OptionValues,
  help: string,
  stderr: ByteWriter,
): Promise<ClientTls | undefined> {
  const caFile = values.text("tls-ca");
  const pinText = values.text("tls-pin");
  const insecure = values.flag("tls-insecure");
  if (
    !values.flag("tls") && caFile === undefined && pinText === undefined &&
    !insecure
  ) {
    return undefined;
  }
  if (values.has("unix")) {
    throw new UsageError(
      "TLS works over TCP only: drop --unix or the --tls options",
      help,
    );
  }
  if (insecure) {
    if (caFile !== undefined || pinText !== undefined) {
      throw new UsageError(
        "Option --tls-insecure checks nothing: drop it, or drop --tls-ca and --tls-pin",
        help,
      );
    }
    await writeAll(stderr, new TextEncoder().encode(TLS_INSECURE_WARNING));
    return { insecure: true };
  }
  return {
    ...(caFile === undefined
      ? {}
      : { caCerts: await loadCaCerts(caFile, help) }),
    ...(pinText === undefined ? {} : { pin: parsePin(pinText, help) }),
  };
}

/** Options of clients that send messages and check replies. */
export const MESSAGE_OPTIONS: readonly OptionSpec[] = [
  {
    name: "message",
    type: { kind: "text", multiple: true },
    value: "TEXT",
    help: "Send TEXT and print the reply; without it, prompt or read stdin",
  },
  {
    name: "expect",
    type: { kind: "text", multiple: true },
    value: "TEXT",
    help: "Exit 1 unless the reply to the message in the same position is TEXT",
  },
];

/**
 * Reads the endpoint from `--host`/`--port` or `--unix`.
 *
 * @example
 * ```ts
 * import { endpointFrom } from "./commands.ts";
 * import { OptionValues } from "./cli/parse.ts";
 * const values = new OptionValues(new Map([["unix", "/tmp/s"]]), []);
 * console.assert(endpointFrom(values, "tcp", "sockit --help").transport === "unix");
 * ```
 */
export function endpointFrom(
  values: OptionValues,
  transport: "tcp" | "udp",
  help: string,
): Endpoint {
  const path = values.text("unix");
  if (path !== undefined) {
    if (values.has("host") || values.has("port")) {
      throw new UsageError(
        "Option --unix cannot be combined with --host or --port",
        help,
      );
    }
    if (path === "") throw new UsageError("Option --unix needs a path", help);
    return { transport: "unix", path };
  }
  const hostname = values.text("host") ?? "";
  if (hostname === "") {
    throw new UsageError("Option --host needs a host name or address", help);
  }
  return { transport, hostname, port: values.number("port") };
}

/**
 * Reads `--message` and `--expect`, checking they pair up.
 *
 * @example
 * ```ts
 * import { messagesFrom } from "./commands.ts";
 * import { OptionValues } from "./cli/parse.ts";
 * const values = new OptionValues(new Map([["message", ["a"]], ["expect", ["A"]]]), []);
 * console.assert(messagesFrom(values, "h").expects[0] === "A");
 * ```
 */
export function messagesFrom(
  values: OptionValues,
  help: string,
): { messages: string[]; expects: string[] } {
  const messages = values.texts("message");
  const expects = values.texts("expect");
  if (expects.length > 0 && expects.length !== messages.length) {
    throw new UsageError(
      `Got ${expects.length} --expect for ${messages.length} --message: give one --expect per --message`,
      help,
    );
  }
  return { messages, expects };
}

/** Builds a server's logger from `--log-format` and `--quiet`. */
export function loggerFrom(values: OptionValues, service: string): Logger {
  return new Logger({
    service,
    format: values.text("log-format") as LogFormat,
    quiet: values.flag("quiet"),
  });
}

const TCP_ECHO_HELP = "sockit tcp-echo --help";

const tcpEchoServer: CommandSpec = {
  role: "server",
  summary: "echo back what each client sends",
  options: [
    ...serverOptions(20000),
    ...TLS_SERVER_OPTIONS,
    {
      name: "mode",
      type: { kind: "choice", choices: ECHO_MODES },
      value: "MODE",
      default: "echo",
      help:
        "echo: bytes as they are; upper, reverse: line by line, lines up to 64 KiB",
    },
    {
      name: "max-conns",
      type: { kind: "count", min: 1, max: 100000 },
      value: "N",
      default: 1024,
      help: "Connections open at once; one more is closed at once",
    },
    {
      name: "idle-timeout",
      type: { kind: "seconds", min: 0, max: 86400 },
      value: "SECONDS",
      default: 300,
      help: "Close a connection with no traffic this long; 0 = never",
    },
  ],
  async run(values) {
    const tls = await serverTlsFrom(values, TCP_ECHO_HELP);
    const logger = loggerFrom(values, "tcp-echo");
    if (tls) logger.notice("tls", { cert_sha256: tls.sha256 });
    return await runServer({
      service: "tcp-echo",
      logger,
      tls: tls !== undefined,
      endpoint: endpointFrom(values, "tcp", TCP_ECHO_HELP),
      bind: (endpoint) => listenOn(endpoint, tls),
      serve: (listener, signal, force) =>
        serveTcpEcho(listener, {
          signal,
          force,
          logger,
          mode: values.text("mode") as EchoMode,
          maxConns: values.number("max-conns"),
          idleTimeoutMs: values.number("idle-timeout") * 1000,
          graceMs: values.number("grace") * 1000,
        }),
    });
  },
};

const tcpEchoClient: CommandSpec = {
  role: "client",
  summary: "send messages and print the replies",
  options: [
    ...clientOptions(20000, 10),
    ...TLS_CLIENT_OPTIONS,
    ...MESSAGE_OPTIONS,
  ],
  usage: "[--message TEXT [--expect TEXT]]... [options]",
  async run(values) {
    const io = processIo();
    const tls = await clientTlsFrom(values, TCP_ECHO_HELP, io.stderr);
    return await runTcpEchoClient({
      endpoint: endpointFrom(values, "tcp", TCP_ECHO_HELP),
      ...(tls ? { tls } : {}),
      ...messagesFrom(values, TCP_ECHO_HELP),
      timeoutMs: values.number("timeout") * 1000,
    }, io);
  },
};

const UDP_UPPER_HELP = "sockit udp-upper --help";
const NO_UNIX = { unix: false, grace: false };

const udpUpperServer: CommandSpec = {
  role: "server",
  summary: "answer each datagram with it uppercased",
  options: [
    ...serverOptions(3000, NO_UNIX),
    {
      name: "rate",
      type: { kind: "count", min: 0, max: 1_000_000_000 },
      value: "N",
      default: 1000,
      help: "Replies per second per source address; 0 = no cap",
    },
  ],
  run(values) {
    const logger = loggerFrom(values, "udp-upper");
    return runServer({
      service: "udp-upper",
      logger,
      endpoint: endpointFrom(values, "udp", UDP_UPPER_HELP),
      bind: bindDatagram,
      serve: async (socket, signal) => {
        await serveUdpUpper(socket, {
          signal,
          logger,
          ratePerSecond: values.number("rate"),
        });
      },
    });
  },
};

const udpUpperClient: CommandSpec = {
  role: "client",
  summary: "send datagrams and print the replies, retransmitting on loss",
  options: [
    ...clientOptions(3000, 0.5, { unix: false }),
    {
      name: "retries",
      type: { kind: "count", min: 0, max: 10 },
      value: "N",
      default: 4,
      help: "Resends per message, each waiting twice as long as the last",
    },
    ...MESSAGE_OPTIONS,
    {
      name: "verbose",
      type: { kind: "flag" },
      help: "Log resends and ignored datagrams on stderr",
    },
  ],
  usage: "[--message TEXT [--expect TEXT]]... [options]",
  run(values) {
    const endpoint = endpointFrom(values, "udp", UDP_UPPER_HELP);
    if (endpoint.transport === "unix") {
      throw new UsageError("UDP has no --unix", UDP_UPPER_HELP);
    }
    return runUdpUpperClient({
      hostname: endpoint.hostname,
      port: endpoint.port,
      ...messagesFrom(values, UDP_UPPER_HELP),
      timeoutMs: values.number("timeout") * 1000,
      retries: values.number("retries"),
      verbose: values.flag("verbose"),
    }, processIo());
  },
};

const CHAT_HELP = "sockit chat --help";

const chatServer: CommandSpec = {
  role: "server",
  summary: "show every message; send typed lines to the last writer",
  options: serverOptions(3001, NO_UNIX),
  run(values) {
    const logger = loggerFrom(values, "chat");
    return runServer({
      service: "chat",
      logger,
      endpoint: endpointFrom(values, "udp", CHAT_HELP),
      bind: bindDatagram,
      serve: async (socket, signal) => {
        await runChatServer(socket, { signal, logger, io: processIo() });
      },
    });
  },
};

const chatClient: CommandSpec = {
  role: "client",
  summary: "send each typed line under a name; show the server's lines",
  options: [
    ...clientOptions(3001, 10, { unix: false }).filter((o) =>
      o.name !== "timeout"
    ),
    {
      name: "name",
      type: { kind: "text" },
      value: "NAME",
      help: "Your name in the chat (required, up to 32 characters)",
    },
  ],
  usage: "--name NAME [options]",
  run(values) {
    const name = values.text("name");
    if (name === undefined) {
      throw new UsageError(
        "Option --name is required: say who you are",
        CHAT_HELP,
      );
    }
    const problem = nameProblem(name);
    if (problem) {
      throw new UsageError(`Invalid --name "${name}": ${problem}`, CHAT_HELP);
    }
    const endpoint = endpointFrom(values, "udp", CHAT_HELP);
    if (endpoint.transport === "unix") {
      throw new UsageError("UDP has no --unix", CHAT_HELP);
    }
    return runChatClient({
      hostname: endpoint.hostname,
      port: endpoint.port,
      name,
    }, processIo());
  },
};

const EXEC_HELP = "sockit exec --help";
const MiB = 1024 * 1024;

const execServer: CommandSpec = {
  role: "server",
  summary: "run each client's command and reply with its output",
  options: [
    ...serverOptions(8083),
    ...TLS_SERVER_OPTIONS,
    {
      name: "allow-plaintext",
      type: { kind: "flag" },
      help:
        "Serve a non-loopback address without TLS (the token goes in clear)",
    },
    {
      name: "token-file",
      type: { kind: "text" },
      value: "PATH",
      help: "Require the token on this file's first line (or set SOCKIT_TOKEN)",
    },
    {
      name: "allow",
      type: { kind: "text", multiple: true },
      value: "PROG",
      help: "Run only PROG as the first word, with no shell at all",
    },
    {
      name: "timeout",
      type: { kind: "seconds", min: 0.001, max: 86400 },
      value: "SECONDS",
      default: 30,
      help: "Time limit per command: SIGTERM to its group, SIGKILL 2 s later",
    },
    {
      name: "max-output",
      type: { kind: "size", min: 0, max: 1024 * MiB },
      value: "SIZE",
      default: 16 * MiB,
      help:
        "Output kept per command (stdout + stderr); past it the command is stopped",
    },
    {
      name: "max-stdin",
      type: { kind: "size", min: 0, max: 1024 * MiB },
      value: "SIZE",
      default: 16 * MiB,
      help: "Stdin a request may carry",
    },
    {
      name: "max-concurrent",
      type: { kind: "count", min: 1, max: 1024 },
      value: "N",
      default: 4,
      help: "Commands running at once, across all clients",
    },
    {
      name: "queue",
      type: { kind: "count", min: 0, max: 100000 },
      value: "N",
      default: 64,
      help: "Requests waiting for a slot; past this the reply is busy",
    },
    {
      name: "max-conns",
      type: { kind: "count", min: 1, max: 100000 },
      value: "N",
      default: 1024,
      help: "Connections open at once",
    },
    {
      name: "idle-timeout",
      type: { kind: "seconds", min: 0, max: 86400 },
      value: "SECONDS",
      default: 300,
      help: "Close a connection idle between requests this long; 0 = never",
    },
    {
      name: "header-timeout",
      type: { kind: "seconds", min: 0.001, max: 3600 },
      value: "SECONDS",
      default: 10,
      help: "A request's header and stdin must arrive within this once begun",
    },
  ],
  async run(values) {
    const endpoint = endpointFrom(values, "tcp", EXEC_HELP);
    const token = await loadToken(values.text("token-file"));
    const tls = await serverTlsFrom(values, EXEC_HELP);
    checkExecExposure(endpoint, {
      token: token !== undefined,
      tls: tls !== undefined,
      allowPlaintext: values.flag("allow-plaintext"),
    });
    const allow = values.texts("allow");
    const logger = loggerFrom(values, "exec");
    if (tls) logger.notice("tls", { cert_sha256: tls.sha256 });
    return await runServer({
      service: "exec",
      logger,
      tls: tls !== undefined,
      endpoint,
      bind: async (e) => {
        const listener = await listenOn(e, tls);
        if (e.transport === "unix") await Deno.chmod(e.path, 0o600);
        return listener;
      },
      serve: (listener, signal, force) =>
        serveExec(listener, {
          signal,
          force,
          logger,
          token: new TokenCheck(token),
          ...(allow.length > 0 ? { allow } : {}),
          timeoutMs: values.number("timeout") * 1000,
          maxOutput: values.number("max-output"),
          maxStdin: values.number("max-stdin"),
          maxConcurrent: values.number("max-concurrent"),
          queue: values.number("queue"),
          maxConns: values.number("max-conns"),
          idleTimeoutMs: values.number("idle-timeout") * 1000,
          headerTimeoutMs: values.number("header-timeout") * 1000,
          graceMs: values.number("grace") * 1000,
        }),
    });
  },
};

/**
 * Refuses to serve exec on a non-loopback address without a token, or
 * without TLS unless `allowPlaintext`: a token sent in clear is no secret.
 *
 * @example
 * ```ts
 * import { checkExecExposure } from "./commands.ts";
 * checkExecExposure({ transport: "tcp", hostname: "127.0.0.1", port: 1 }, { token: false, tls: false, allowPlaintext: false });
 * ```
 */
export function checkExecExposure(
  endpoint: Endpoint,
  has: { token: boolean; tls: boolean; allowPlaintext: boolean },
): void {
  if (endpoint.transport !== "tcp" || isLoopbackHost(endpoint.hostname)) {
    return;
  }
  const where = formatHostPort(endpoint.hostname, endpoint.port);
  if (!has.token) {
    throw new UsageError(
      `Cannot bind "${where}": a token is required for non-loopback addresses; set SOCKIT_TOKEN or --token-file`,
      EXEC_HELP,
    );
  }
  if (!has.tls && !has.allowPlaintext) {
    throw new UsageError(
      `Cannot bind "${where}": non-loopback addresses need TLS so the token is not sent in clear; give --tls-cert and --tls-key, or --allow-plaintext`,
      EXEC_HELP,
    );
  }
}

/** An exec client never sends its token over `--tls-insecure`. */
function refuseInsecureToken(
  values: OptionValues,
  token: string | undefined,
  help: string,
): void {
  if (token !== undefined && values.flag("tls-insecure")) {
    throw new UsageError(
      "Option --tls-insecure would send the token to whoever answers: use --tls-ca or --tls-pin",
      help,
    );
  }
}

/** The most stdin `sockit exec client --stdin` sends: 16 MiB. */
export const MAX_CLIENT_STDIN = 16 * MiB;

const execClient: CommandSpec = {
  role: "client",
  summary: "run a command on the server, like ssh",
  options: [
    ...clientOptions(8083, 30),
    ...TLS_CLIENT_OPTIONS,
    {
      name: "cmd",
      type: { kind: "text" },
      value: "STRING",
      help: "The command line to run (or give it after --)",
    },
    {
      name: "stdin",
      type: { kind: "flag" },
      help: "Send this process's stdin as the command's stdin (up to 16 MiB)",
    },
    {
      name: "json",
      type: { kind: "flag" },
      help: "Print one JSON object: the reply's fields, stdout and stderr",
    },
    {
      name: "legacy",
      type: { kind: "flag" },
      help: "Speak the seeds' protocol: raw command, no frame, no token",
    },
    {
      name: "token-file",
      type: { kind: "text" },
      value: "PATH",
      help: "Send the token on this file's first line (or set SOCKIT_TOKEN)",
    },
    {
      name: "max-output",
      type: { kind: "size", min: 0, max: 4096 * MiB },
      value: "SIZE",
      default: 64 * MiB,
      help: "The largest reply accepted",
    },
  ],
  positionals: true,
  usage:
    "[options] -- COMMAND [ARGS...]   |   [options] --cmd 'STRING'   |   [options]",
  async run(values, positionals) {
    const cmd = values.text("cmd");
    if (cmd !== undefined && positionals.length > 0) {
      throw new UsageError(
        "Give the command after -- or with --cmd, not both",
        EXEC_HELP,
      );
    }
    if (values.flag("legacy") && values.has("token-file")) {
      throw new UsageError(
        "Option --legacy sends no token: drop --token-file",
        EXEC_HELP,
      );
    }
    const command = cmd ??
      (positionals.length > 0
        ? positionals.map(quoteWord).join(" ")
        : undefined);
    if (values.flag("stdin") && command === undefined) {
      throw new UsageError(
        "Option --stdin needs a command: stdin is the command's input",
        EXEC_HELP,
      );
    }
    const token = values.flag("legacy")
      ? undefined
      : await loadToken(values.text("token-file"));
    refuseInsecureToken(values, token, EXEC_HELP);
    const io = processIo();
    const tls = await clientTlsFrom(values, EXEC_HELP, io.stderr);
    return runExecClient({
      endpoint: endpointFrom(values, "tcp", EXEC_HELP),
      ...(tls ? { tls } : {}),
      ...(command === undefined ? {} : { command }),
      ...(token === undefined ? {} : { token }),
      ...(values.flag("stdin")
        ? { stdin: await readStdinCapped(MAX_CLIENT_STDIN) }
        : {}),
      timeoutMs: values.number("timeout") * 1000,
      json: values.flag("json"),
      legacy: values.flag("legacy"),
      maxOutput: values.number("max-output"),
    }, io);
  },
};

async function readStdinCapped(max: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(max + 1);
  const n = await readFull(Deno.stdin, buffer);
  if (n > max) {
    throw new SockitError(
      `Stdin is over ${formatSize(max)}: --stdin sends at most that`,
    );
  }
  return buffer.slice(0, n);
}

const BENCH_HELP = "sockit bench --help";

function benchCommand(
  target: BenchTarget,
  defaults: { port: number; connections: number },
): CommandSpec {
  return {
    role: target,
    summary: {
      "tcp-echo": "echo requests of --size bytes, one in flight per connection",
      "udp-upper": "datagrams of --size bytes, one in flight per socket",
      "exec": "run --cmd (default true), one in flight per connection",
    }[target],
    options: benchOptions(target, defaults),
    run: (values) => runBenchCommand(target, values),
  };
}

/** The options of `sockit bench TARGET`. */
function benchOptions(
  target: BenchTarget,
  defaults: { port: number; connections: number },
): OptionSpec[] {
  const transport = target === "udp-upper" ? "udp" : "tcp";
  return [
    ...clientOptions(defaults.port, 2, { unix: transport === "tcp" }).map((
      o,
    ) =>
      o.name === "timeout"
        ? { ...o, help: "A request unanswered this long is an error" }
        : o
    ),
    ...(target === "udp-upper" ? [] : TLS_CLIENT_OPTIONS),
    {
      name: "connections",
      type: { kind: "count", min: 1, max: 10000 },
      value: "N",
      default: defaults.connections,
      help: target === "udp-upper" ? "Sockets at once" : "Connections at once",
    },
    {
      name: "duration",
      type: { kind: "seconds", min: 0.1, max: 3600 },
      value: "SECONDS",
      default: 10,
      help: "How long to run",
    },
    ...(target === "exec"
      ? [
        {
          name: "cmd",
          type: { kind: "text" },
          value: "STRING",
          default: "true",
          help: "The command each request runs",
        } as const,
        {
          name: "token-file",
          type: { kind: "text" },
          value: "PATH",
          help: "Send the token on this file's first line (or SOCKIT_TOKEN)",
        } as const,
      ]
      : [
        {
          name: "size",
          type: {
            kind: "size",
            min: 1,
            max: target === "udp-upper" ? 65507 : 1024 * 1024,
          },
          value: "SIZE",
          default: 64,
          help: "Bytes per request",
        } as const,
      ]),
    {
      name: "json",
      type: { kind: "flag" },
      help: "Print one JSON object instead of the table (no progress line)",
    },
    {
      name: "min-rps",
      type: { kind: "number", min: 0, max: 1e9 },
      value: "N",
      help: "Exit 1 if requests/s is under N",
    },
    {
      name: "max-p99",
      type: { kind: "number", min: 0, max: 3600000 },
      value: "MS",
      help: "Exit 1 if the 99th-percentile latency is over MS milliseconds",
    },
  ];
}

/** Runs `sockit bench TARGET`: the load, the report, then the guards. */
async function runBenchCommand(
  target: BenchTarget,
  values: OptionValues,
): Promise<number> {
  const transport = target === "udp-upper" ? "udp" : "tcp";
  const io = processIo();
  const tls = target === "udp-upper"
    ? undefined
    : await clientTlsFrom(values, BENCH_HELP, io.stderr);
  const token = target === "exec"
    ? await loadToken(values.text("token-file"))
    : undefined;
  refuseInsecureToken(values, token, BENCH_HELP);
  const json = values.flag("json");
  const progress = !json && Deno.stderr.isTerminal()
    ? new ProgressLine(io.stderr)
    : undefined;
  const result = await runBench({
    target,
    endpoint: endpointFrom(values, transport, BENCH_HELP),
    connections: values.number("connections"),
    durationMs: values.number("duration") * 1000,
    size: target === "exec" ? 0 : values.number("size"),
    timeoutMs: values.number("timeout") * 1000,
    ...(target === "exec" ? { command: values.text("cmd") ?? "true" } : {}),
    ...(token === undefined ? {} : { token }),
    ...(tls ? { tls } : {}),
    ...(progress ? { onProgress: (r) => progress.show(r) } : {}),
  });
  await progress?.clear();
  await writeAll(
    io.stdout,
    new TextEncoder().encode(
      json ? JSON.stringify(result) + "\n" : formatBenchResult(result),
    ),
  );
  if (result.requests === 0) {
    throw new SockitError(
      `No request succeeded in ${result.seconds} s (${result.errors} errors): ${
        result.first_error ?? "no reply"
      }`,
    );
  }
  checkBenchGuards(result, {
    ...(values.has("min-rps") ? { minRps: values.number("min-rps") } : {}),
    ...(values.has("max-p99") ? { maxP99: values.number("max-p99") } : {}),
  });
  return 0;
}

const wait: CommandSpec = {
  summary: "wait until every address accepts a connection",
  options: [{
    name: "timeout",
    type: { kind: "seconds", min: 0.001, max: 86400 },
    value: "SECONDS",
    default: 30,
    help: "Give up after this long; exit 1 listing what never came up",
  }],
  positionals: true,
  usage: "ADDRESS... [--timeout SECONDS]",
  async run(values, positionals) {
    if (positionals.length === 0) {
      throw new UsageError(
        "Name at least one address: tcp://HOST:PORT or unix:PATH",
        "sockit wait --help",
      );
    }
    const targets = positionals.map(parseWaitTarget);
    await waitForAll(targets, values.number("timeout") * 1000, Deno.stdout);
    return 0;
  },
};

const demo: CommandSpec = {
  summary:
    "start every server on loopback, drive every client path, print a table",
  options: [],
  run: () => runDemo(Deno.stdout),
};

/** Every service and command sockit has, in help order. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: "tcp-echo",
    summary: "TCP echo server and client",
    commands: [tcpEchoServer, tcpEchoClient],
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
  },
  {
    name: "udp-upper",
    summary: "UDP uppercase server and client",
    commands: [udpUpperServer, udpUpperClient],
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
      "Deno's UDP API is unstable in Deno 2.9: sockit runs with --unstable-net.",
    ],
    examples: [
      "sockit udp-upper server --port 0",
      "sockit udp-upper client --port 3000 --message hello --expect HELLO",
      "sockit udp-upper client --host ::1 --port 3000 --message hi --timeout 0.2 --retries 2",
    ],
  },
  {
    name: "chat",
    summary: "A small UDP chat: a server and named clients",
    commands: [chatServer, chatClient],
    notes: [
      "Each client line goes to the server tagged with the client's name; the server prints\n" +
      "'NAME@HOST:PORT: TEXT'. Each line the server's operator types goes to the client that\n" +
      "wrote last; '/to NAME' sends to NAME from then on, '/to' alone goes back to the last\n" +
      "writer. 'quit' or Ctrl-D ends either side; the server's end ends its clients too.\n" +
      "Lines up to 4 KiB; the server remembers up to 256 clients. UDP may lose a line.",
    ],
    examples: [
      "sockit chat server",
      "sockit chat client --name alice",
    ],
  },
  {
    name: "exec",
    summary:
      "Header-framed command executor: server and client, safe by default",
    commands: [execServer, execClient],
    notes: [
      "Wire format (docs/PROTOCOL.md): a 4-byte little-endian length L (2 to 65,536), L bytes of a\n" +
      "UTF-8 JSON header, then a body of the size the header gives. The reply header has total_size,\n" +
      "stdout_size, stderr_size, exit_code, signal, timed_out, truncated, duration_ms and sha256; the\n" +
      "body is stdout then stderr. The seeds' raw commands (no frame) are accepted when no token is set.",
      "Safety: the server binds loopback by default and refuses a non-loopback address without a\n" +
      "token (exit 2). Commands run through /bin/sh -c, or with --allow PROG as plain words with no\n" +
      "shell, in their own process group, with only PATH in their environment. At --timeout the\n" +
      "group gets SIGTERM, then SIGKILL; when a command exits, what it left in the background is\n" +
      "killed; when its client disconnects (even half-closes), it is killed.",
      "The client exits with the remote exit code (124 for a timeout, 128 + N for signal N), or 1\n" +
      "when the server refuses the command or the reply is broken. It waits up to --timeout + 5 s.",
    ],
    examples: [
      "sockit exec server --port 0",
      "sockit exec client --port 8083 -- uname -a",
      "SOCKIT_TOKEN=s3cret sockit exec server --host 0.0.0.0",
      "sockit exec server --allow ls --allow uname",
      "echo hi | sockit exec client --stdin --cmd 'tr a-z A-Z'",
      "sockit exec client --port 8083 --json --cmd 'echo hi'",
    ],
  },
  {
    name: "wait",
    summary: "Wait until servers accept connections (for CI scripts)",
    commands: [wait],
    notes: [
      "Each ADDRESS is tcp://HOST:PORT (or HOST:PORT) or unix:PATH. sockit tries each every 50 ms,\n" +
      "the pause growing by half up to 1 s, until it accepts a connection; then prints\n" +
      "'ready: ADDRESS (SECONDS)' and exits 0 once all are up. After --timeout it exits 1 with\n" +
      "one line listing what never came up and why.",
    ],
    examples: [
      "sockit wait tcp://127.0.0.1:8083 --timeout 10",
      "sockit wait 127.0.0.1:20000 unix:/tmp/echo.sock",
    ],
  },
  {
    name: "bench",
    summary: "Load a server and report requests/s, MB/s, latency and errors",
    commands: [
      benchCommand("tcp-echo", { port: 20000, connections: 50 }),
      benchCommand("udp-upper", { port: 3000, connections: 16 }),
      benchCommand("exec", { port: 8083, connections: 8 }),
    ],
    notes: [
      "Each connection (or UDP socket) keeps one request in flight: send it, wait for the whole\n" +
      "reply, record the latency, send the next. At the end it prints requests, requests/s, MB/s\n" +
      "(reply bytes), p50/p99/max latency and errors; on a terminal a progress line updates each\n" +
      "second. An error (refused connect, closed connection, no reply within --timeout, a UDP\n" +
      "datagram lost, an exec command exiting non-zero) is counted and the client goes on; a\n" +
      "failed connect waits 100 ms. With --min-rps or --max-p99 it exits 1 when the run misses\n" +
      "them, so CI can guard a service's speed. Latencies are bucketed (1 us below 1 ms, 0.1 ms\n" +
      "below 1 s); memory stays fixed however long it runs.",
    ],
    examples: [
      "sockit bench tcp-echo --connections 50 --duration 10 --size 64",
      "sockit bench udp-upper --port 3000 --duration 5 --json",
      "sockit bench exec --connections 8 --duration 5 --min-rps 200 --max-p99 50",
    ],
  },
  {
    name: "demo",
    summary: "Start every server on loopback and check every client path",
    commands: [demo],
    examples: ["sockit demo"],
  },
];
