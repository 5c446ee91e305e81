/**
 * `sockit exec`: the command-line face of the exec server and client, with
 * the exposure rule (no non-loopback address without a token, nor without
 * TLS unless `--allow-plaintext`) and the token's sources.
 *
 * @module
 */

import { execTraceDecoder } from "./frame_trace.ts";
import { TRACE_OPTIONS, tracerFrom } from "../options/trace_options.ts";
import { processIo } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { SockitError, UsageError } from "../io/errors.ts";
import { count, duration, flag, size, text, texts } from "../cli/option.ts";
import { readFull } from "../io/streams.ts";
import { formatSize, MiB } from "../io/units.ts";
import {
  type Endpoint,
  formatHostPort,
  isLoopbackHost,
} from "../net/address.ts";
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
import {
  clientTlsFrom,
  serverTlsFrom,
  TLS_CLIENT_CERT_OPTIONS,
  TLS_CLIENT_OPTIONS,
  TLS_SERVER_OPTIONS,
} from "../options/tls_options.ts";
import { loadCaCerts } from "../net/tls.ts";
import { runStreamServer, serverOptions } from "../options/serve_command.ts";
import {
  loadToken,
  refuseInsecureToken,
  tokenOptions,
} from "../options/token_options.ts";
import { TokenCheck } from "./auth.ts";
import { standardStream } from "../io/user_files.ts";
import { runExecClient } from "./client.ts";
import { DEFAULT_EXEC_TIMEOUT_MS } from "./policy.ts";
import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_STDIN,
  DEFAULT_QUEUE,
  EXEC_PORT,
  serveExec,
} from "./server.ts";
import { quoteWord } from "./shell_words.ts";

/** The most stdin `sockit exec client --stdin` sends: 16 MiB. */
export const MAX_CLIENT_STDIN = 16 * MiB;
/** The largest reply the client accepts by default: 64 MiB. */
export const DEFAULT_MAX_REPLY = 64 * MiB;

/**
 * Refuses to serve exec on a non-loopback address without a token, or
 * without TLS unless `allowPlaintext`: a token sent in clear is no secret.
 *
 * @example
 * ```ts
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
    );
  }
  if (!has.tls && !has.allowPlaintext) {
    throw new UsageError(
      `Cannot bind "${where}": non-loopback addresses need TLS so the token is not sent in clear; give --tls-cert and --tls-key, or --allow-plaintext`,
    );
  }
}

const server = defineCommand({
  role: "server",
  summary: "run each client's command and reply with its output",
  address: positionalAddress("tcp", { server: true, unix: true }),
  usage: "[ADDRESS] [options]",
  options: {
    ...serverOptions(EXEC_PORT),
    ...TLS_SERVER_OPTIONS,
    tlsClientCa: text({
      help:
        "Let in only clients whose certificate (--tls-cert on the client) this PEM CA signed",
      value: "FILE",
      requires: {
        tlsCert:
          "Option --tls-client-ca needs TLS: give --tls-cert and --tls-key",
      },
    }),
    allowPlaintext: flag({
      help:
        "Serve a non-loopback address without TLS (the token goes in clear)",
    }),
    ...tokenOptions("Require"),
    allow: texts({
      help: "Run only PROG as the first word, with no shell at all",
      value: "PROG",
    }),
    timeout: duration({
      help: "Time limit per command: SIGTERM to its group, SIGKILL 2 s later",
      value: "SECONDS",
      short: "t",
      min: 1,
      max: 86_400_000,
      default: DEFAULT_EXEC_TIMEOUT_MS,
    }),
    maxOutput: size({
      help:
        "Output kept per command (stdout + stderr); past it the command is stopped",
      value: "SIZE",
      min: 0,
      max: 1024 * MiB,
      default: DEFAULT_MAX_OUTPUT,
    }),
    maxStdin: size({
      help: "Stdin a request may carry",
      value: "SIZE",
      min: 0,
      max: 1024 * MiB,
      default: DEFAULT_MAX_STDIN,
    }),
    maxConcurrent: count({
      help: "Commands running at once, across all clients",
      value: "N",
      min: 1,
      max: 1024,
      default: DEFAULT_MAX_CONCURRENT,
    }),
    queue: count({
      help: "Requests waiting for a slot; past this the reply is busy",
      value: "N",
      min: 0,
      max: 100000,
      default: DEFAULT_QUEUE,
    }),
    ...connectionLimitOptions("Close a connection idle between requests"),
    headerTimeout: duration({
      help: "A request's header and stdin must arrive within this once begun",
      value: "SECONDS",
      min: 1,
      max: 3_600_000,
      default: DEFAULT_HEADER_TIMEOUT_MS,
    }),
  },
  async run(values) {
    const endpoint = endpointFrom(values, "tcp");
    const token = await loadToken(values.tokenFile, values.token);
    const tls = await serverTlsFrom(values);
    checkExecExposure(endpoint, {
      token: token !== undefined,
      tls: tls !== undefined,
      allowPlaintext: values.allowPlaintext,
    });
    const clientCa = values.tlsClientCa === undefined
      ? undefined
      : await loadCaCerts(values.tlsClientCa, "--tls-client-ca");
    return await runStreamServer({
      service: "exec",
      values,
      endpoint,
      tls: tls && { ...tls, clientCa },
      unixMode: 0o600, // Only this user may ask for commands.
      traceDecoder: execTraceDecoder,
      serve: (listener, context) =>
        serveExec(listener, {
          ...context,
          token: new TokenCheck(token),
          ...(values.allow.length > 0 ? { allow: values.allow } : {}),
          timeoutMs: values.timeout,
          maxOutput: values.maxOutput,
          maxStdin: values.maxStdin,
          maxConcurrent: values.maxConcurrent,
          queue: values.queue,
          ...acceptLoopFrom(values),
          headerTimeoutMs: values.headerTimeout,
        }),
    });
  },
});

const client = defineCommand({
  role: "client",
  summary: "run a command on the server, like ssh",
  address: positionalAddress("tcp", {
    server: false,
    unix: true,
    onlyBeforeDashes: true,
  }),
  options: {
    ...connectOptions(EXEC_PORT),
    ...timeoutOption(DEFAULT_EXEC_TIMEOUT_MS),
    ...TLS_CLIENT_OPTIONS,
    ...TLS_CLIENT_CERT_OPTIONS,
    cmd: text({
      help: "The command line to run (or give it after --)",
      value: "STRING",
    }),
    stdin: flag({
      help:
        `Send this process's stdin as the command's stdin: streamed as it is read, or whole (up to ${
          formatSize(MAX_CLIENT_STDIN)
        }) with --no-stream or to a server that does not stream`,
    }),
    json: flag({
      help:
        "Print JSON: one object per output chunk and one for the exit (with --no-stream, one object: the reply's fields, stdout and stderr)",
    }),
    noStream: flag({
      help:
        "Take the output in one reply once the command ends, not as it is produced",
    }),
    legacy: flag({
      help: "Speak the seeds' protocol: raw command, no frame, no token",
      conflicts: {
        tokenFile: "Option --legacy sends no token: drop --token-file",
      },
    }),
    ...tokenOptions("Send"),
    ...TRACE_OPTIONS,
    maxOutput: size({
      help: "The largest reply accepted",
      value: "SIZE",
      min: 0,
      max: 4096 * MiB,
      default: DEFAULT_MAX_REPLY,
    }),
  },
  positionals: true,
  unknownOptionHint: "put the remote command after --",
  usage:
    "[ADDRESS] [options] -- COMMAND [ARGS...]  |  [ADDRESS] [options] --cmd 'STRING'  |  [options]",
  async run(values, positionals) {
    if (values.cmd !== undefined && positionals.length > 0) {
      throw new UsageError("Give the command after -- or with --cmd, not both");
    }
    const command = values.cmd ??
      (positionals.length > 0
        ? positionals.map(quoteWord).join(" ")
        : undefined);
    if (values.stdin && command === undefined) {
      throw new UsageError(
        "Option --stdin needs a command: stdin is the command's input",
      );
    }
    if (
      values.tokenFile !== undefined &&
      standardStream(values.tokenFile) === "stdin" &&
      (values.stdin || command === undefined)
    ) {
      throw new UsageError(
        `Option --token-file ${values.tokenFile} reads standard input, which ${
          values.stdin ? "--stdin sends" : "the prompt reads"
        }: put the token in a file or in SOCKIT_TOKEN`,
      );
    }
    const token = values.legacy
      ? undefined
      : await loadToken(values.tokenFile, values.token);
    refuseInsecureToken(values, token);
    const io = processIo();
    const tls = await clientTlsFrom(values, io);
    using tracer = tracerFrom(values, execTraceDecoder);
    return await runExecClient({
      tracer,
      endpoint: endpointFrom(values, "tcp"),
      ...(tls ? { tls } : {}),
      ...(command === undefined ? {} : { command }),
      ...(token === undefined ? {} : { token }),
      ...(values.stdin
        ? {
          stdin: {
            reader: io.stdin,
            readAll: () => readStdinCapped(MAX_CLIENT_STDIN),
          },
        }
        : {}),
      mode: values.legacy ? "legacy" : values.noStream ? "single" : "stream",
      timeoutMs: values.timeout,
      json: values.json,
      maxOutput: values.maxOutput,
    }, io);
  },
});

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

/** `sockit exec`: the header-framed command executor. */
export const EXEC: Service = {
  name: "exec",
  summary: "Header-framed command executor: server and client, safe by default",
  commands: [server, client],
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
    "The client exits with the remote exit code (124 for a timeout, 128 + N for signal N), or,\n" +
    "as ssh does, 255 when the server cannot be reached, refuses the command, or breaks the\n" +
    "protocol; 2 for a usage error. At the 'cmd>> ' prompt a non-zero status shows as [exit N].\n" +
    "It waits up to --timeout + 5 s.",
  ],
  examples: [
    "sockit exec server",
    "sockit exec client --port 8083 -- uname -a",
    "SOCKIT_TOKEN=s3cret sockit exec server --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem",
    "echo hi | sockit exec client --stdin --cmd 'tr a-z A-Z'",
    "sockit exec client --port 8083 --json --cmd 'echo hi'",
    "sockit exec server --allow ls --allow uname",
  ],
};
