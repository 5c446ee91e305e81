/**
 * `sockit exec client`'s run: connect, send the command in the client's
 * mode (falling back from streamed to a single reply, on a new connection,
 * when the server does not stream), print through `reply.ts`, and exit with
 * the remote status, like ssh; or read commands at a prompt.
 *
 * @module
 */

import type { Tracer } from "../net/trace.ts";
import { type ClientIo, runPrompt, warn } from "../cli/client_io.ts";
import { SockitError } from "../io/errors.ts";
import type { ByteReader } from "../io/streams.ts";
import type { Endpoint } from "../net/address.ts";
import { closeWriteQuietly, openStream } from "../net/connect.ts";
import type { StreamConn } from "../net/stream_conn.ts";
import type { ClientTls } from "../net/tls.ts";
import { ReplyPrinter } from "./reply.ts";
import {
  type ClientMode,
  ExecSession,
  type RequestStdin,
  TransportError,
} from "./session.ts";

/** Stdin for the command (`--stdin`): read as the command runs, or whole. */
export interface StdinSource {
  /** Read frame by frame, streaming. */
  reader: ByteReader;
  /** Reads it all (bounded), for a single request. */
  readAll(): Promise<Uint8Array>;
}

/** Options of {@linkcode runExecClient}. */
export interface ExecClientOptions {
  /** The server. */
  endpoint: Endpoint;
  /** Connect over TLS, checking the server this way. */
  tls?: ClientTls;
  /** The command to run; absent = prompt for commands (one reply each). */
  command?: string;
  /** The shared token, if any. */
  token?: string;
  /** Bounds the connect; sent as `timeout_ms`; the reply may take this plus 5 s. */
  timeoutMs: number;
  /** Stdin to send as the command's stdin (`--stdin`). */
  stdin?: StdinSource;
  /** How to speak; a streamed request falls back to a single one. @default {"stream"} */
  mode?: ClientMode;
  /** Print JSON instead of the raw output. @default {false} */
  json?: boolean;
  /** The largest body accepted from the server. */
  maxOutput: number;
  /** Trace each read and write (`--trace`). */
  tracer?: Tracer | undefined;
}

/**
 * Runs the exec client; resolves to the remote exit code (124 for a
 * timeout, 128 + N for signal N). A server that cannot be reached, refuses
 * the command or breaks the protocol throws a {@linkcode TransportError}
 * (exit 255, as ssh). At the `cmd>> ` prompt a command that exits non-zero
 * shows its status, `[exit N]`.
 *
 * @example
 * ```ts ignore
 * import { runExecClient } from "./client.ts";
 * import { processIo } from "../cli/client_io.ts";
 * const code = await runExecClient({ endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 8083 },
 *   command: "uname -a", timeoutMs: 30_000, maxOutput: 64 << 20 }, processIo());
 * ```
 */
export async function runExecClient(
  options: ExecClientOptions,
  io: ClientIo,
): Promise<number> {
  const printer = new ReplyPrinter(io, options.json ?? false);
  for (let mode = options.mode ?? "stream";;) {
    using conn = await openStream(options.endpoint, options).catch((err) => {
      throw err instanceof SockitError && !(err instanceof TransportError)
        ? new TransportError(err.message, { cause: err })
        : err;
    });
    if (options.command === undefined) {
      // At a prompt each command gets one reply: the output, then the status.
      const promptMode = mode === "legacy" ? "legacy" : "single";
      const session = new ExecSession(conn, { ...options, mode: promptMode });
      return await prompt(session, conn, printer, io);
    }
    const session = new ExecSession(conn, { ...options, mode });
    const stdin = await stdinFor(session, mode, options.stdin);
    if (stdin === "no-stream") {
      // The server does not stream (it refused the hello and closed): once
      // more, on a new connection, with stdin read whole.
      mode = "single";
      continue;
    }
    const reply = await session.run(
      options.command,
      stdin,
      mode === "stream" ? printer : undefined,
    );
    await closeWriteQuietly(conn);
    return await printer.finish(reply);
  }
}

/**
 * The request's stdin in `mode`: streamed only to a server that answers
 * the hello (else `no-stream`), read whole for a single request.
 */
async function stdinFor(
  session: ExecSession,
  mode: ClientMode,
  stdin: StdinSource | undefined,
): Promise<RequestStdin | "no-stream" | undefined> {
  if (stdin === undefined) return undefined;
  if (mode !== "stream") return await stdin.readAll();
  return (await session.hello()) ? stdin.reader : "no-stream";
}

/** Commands read at a prompt, one single reply each, until EOF or `quit`. */
async function prompt(
  session: ExecSession,
  conn: StreamConn,
  printer: ReplyPrinter,
  io: ClientIo,
): Promise<number> {
  let last = 0;
  await runPrompt(io, io.stdinIsTerminal ? "cmd>> " : "", async (line) => {
    try {
      last = await printer.finish(await session.run(line));
      if (io.stdinIsTerminal) await printer.exitNote(last);
    } catch (err) {
      if (!(err instanceof TransportError) || session.broken) throw err;
      await warn(io, err.message);
      last = err.exitCode;
    }
  });
  if (!session.broken) await closeWriteQuietly(conn);
  return last;
}
