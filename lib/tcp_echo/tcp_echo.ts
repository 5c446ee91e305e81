/**
 * The TCP echo service: a server that sends back what it receives (byte for
 * byte, or line by line in `upper`/`reverse` mode) and its client, which
 * sends messages and checks replies, prompts on a terminal, or streams stdin
 * like netcat.
 *
 * @module
 */

import { type Endpoint, formatEndpoint } from "../net/address.ts";
import {
  checkExpected,
  type ClientIo,
  printReply,
  runPrompt,
} from "../cli/client_io.ts";
import {
  closeWriteQuietly,
  formatSeconds,
  openStream,
  type StreamConn,
} from "../net/connect.ts";
import type { ClientTls } from "../net/tls.ts";
import { SockitError } from "../cli/errors.ts";
import {
  type EchoMode,
  LineSplitter,
  transformLineKeepingEnding,
} from "./line_modes.ts";
import type { Logger } from "../io/log.ts";
import { copy, MAX_LINE_BYTES, writeAll } from "../io/streams.ts";
import {
  type ConnectionContext,
  type ConnectionHandler,
  serveConnections,
} from "../net/accept_loop.ts";
import { Deadline, IdleWatch } from "../io/timers.ts";

/** The buffer a line-mode echo connection and the client read into: 64 KiB. */
export const ECHO_BUFFER_BYTES = 64 * 1024;

/**
 * The buffer a byte-echo connection grows to once it streams: 128 KiB.
 * Against 64 KiB it moved 1.45 times the bytes with 16 connections and
 * 1.15-1.2 times with one connection and a deep window, and 0.85 times with
 * one connection keeping only two 64 KiB blocks in flight (bench/NOTES.md).
 */
export const ECHO_STREAM_BYTES = 128 * 1024;

/** Options of {@linkcode serveTcpEcho}. */
export interface TcpEchoServerOptions {
  /** Aborting stops the server gracefully. */
  signal: AbortSignal;
  /** Where connection events go. */
  logger: Logger;
  /** Echo bytes as they are, or transform line by line. @default {"echo"} */
  mode?: EchoMode;
  /** Connections open at once. @default {1024} */
  maxConns?: number;
  /** Idle timeout in ms; 0 = none. @default {300000} */
  idleTimeoutMs?: number;
  /** Grace period at shutdown in ms. @default {5000} */
  graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** On a TLS listener, the time a client has for the handshake, in ms. @default {10000} */
  handshakeTimeoutMs?: number;
}

/**
 * Serves TCP echo on a bound listener until `options.signal` aborts.
 *
 * @example
 * ```ts
 * import { serveTcpEcho } from "./tcp_echo.ts";
 * import { Logger } from "../io/log.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * const served = serveTcpEcho(listener, { signal: stop.signal, logger: new Logger({ service: "doc", quiet: true, sink: () => {} }) });
 * const conn = await Deno.connect({ port: listener.addr.port });
 * await conn.write(new TextEncoder().encode("hi"));
 * const reply = new Uint8Array(2);
 * await conn.read(reply);
 * conn.close();
 * stop.abort();
 * await served;
 * ```
 */
export function serveTcpEcho(
  listener: Deno.Listener,
  options: TcpEchoServerOptions,
): Promise<void> {
  return serveConnections(
    listener,
    echoHandler(options.mode ?? "echo"),
    options,
  );
}

/**
 * The per-connection echo handler for a mode. It reads with `conn.read()`
 * rather than `conn.readable`, so it can still reply after the client's
 * half-close, and writes each chunk fully before reading the next, so a
 * client that stops reading stops being read (bounded memory).
 *
 * @example
 * ```ts
 * import { echoHandler } from "./tcp_echo.ts";
 * console.assert(typeof echoHandler("upper") === "function");
 * ```
 */
export function echoHandler(mode: EchoMode): ConnectionHandler {
  return mode === "echo"
    ? echoBytes
    : (conn, context) => echoLines(conn, context, mode);
}

async function echoBytes(
  conn: Deno.Conn,
  context: ConnectionContext,
): Promise<void> {
  // Idle and chatty connections keep a small buffer; one that fills it is
  // streaming and gets ECHO_STREAM_BYTES from then on.
  let buffer = new Uint8Array(ECHO_START_BYTES);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return;
    context.received(n);
    await writeAll(conn, buffer.subarray(0, n), context.sent);
    if (n === buffer.length && buffer.length < ECHO_STREAM_BYTES) {
      buffer = new Uint8Array(ECHO_STREAM_BYTES);
    }
  }
}

/** The buffer an echo connection starts with: 2 KiB. */
export const ECHO_START_BYTES = 2048;

async function echoLines(
  conn: Deno.Conn,
  context: ConnectionContext,
  mode: Exclude<EchoMode, "echo">,
): Promise<void> {
  const buffer = new Uint8Array(ECHO_BUFFER_BYTES);
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    context.received(n);
    for (const line of splitter.push(buffer.subarray(0, n))) {
      await writeAll(
        conn,
        transformLineKeepingEnding(mode, line),
        context.sent,
      );
    }
  }
  const last = splitter.flush();
  if (last) {
    await writeAll(conn, transformLineKeepingEnding(mode, last), context.sent);
  }
}

/** Options of {@linkcode runTcpEchoClient}. */
export interface TcpEchoClientOptions {
  /** The server. */
  endpoint: Endpoint;
  /** Connect over TLS, checking the server this way. */
  tls?: ClientTls;
  /** Messages to send, one exchange each; empty means prompt or stream stdin. */
  messages: readonly string[];
  /** Expected replies, paired with `messages` by position; empty means no check. */
  expects: readonly string[];
  /** Bounds the connect and each reply, in ms. */
  timeoutMs: number;
}

/**
 * Runs the TCP echo client and resolves to its exit code; failures throw a
 * {@linkcode SockitError}.
 *
 * With messages, each is sent followed by `\n` and its reply is read up to
 * the same number of line endings, which fits every server mode. Without,
 * a terminal gets a `>>> ` prompt and anything else is streamed to the
 * server (half-closed at EOF) while the server's bytes are copied out.
 *
 * @example
 * ```ts ignore
 * import { runTcpEchoClient } from "./tcp_echo.ts";
 * import { processIo } from "../cli/client_io.ts";
 * await runTcpEchoClient({
 *   endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 20000 },
 *   messages: ["hi"], expects: ["hi"], timeoutMs: 10_000,
 * }, processIo());
 * ```
 */
export async function runTcpEchoClient(
  options: TcpEchoClientOptions,
  io: ClientIo,
): Promise<number> {
  using conn = await openStream(
    options.endpoint,
    options.timeoutMs,
    options.tls,
  );
  const exchange = new LineExchange(conn, options.endpoint, options.timeoutMs);
  if (options.messages.length > 0) {
    for (const [i, message] of options.messages.entries()) {
      const reply = await exchange.send(message);
      await printReply(io.stdout, reply);
      checkExpected(options.expects[i], reply, i);
    }
    await closeWriteQuietly(conn);
    return 0;
  }
  if (io.stdinIsTerminal) {
    await runPrompt(io, ">>> ", async (line) => {
      await printReply(io.stdout, await exchange.send(line));
    });
    await closeWriteQuietly(conn);
    return 0;
  }
  await streamStdin(conn, io, options);
  return 0;
}

const encoder = new TextEncoder();

/**
 * One request-reply exchange at a time over a connection: send a message and
 * its `\n`, read until as many `\n` come back. Bytes past the reply are kept
 * for the next one.
 */
class LineExchange {
  readonly #conn: StreamConn;
  readonly #where: string;
  readonly #timeoutMs: number;
  #leftover = new Uint8Array(0);

  constructor(conn: StreamConn, endpoint: Endpoint, timeoutMs: number) {
    this.#conn = conn;
    this.#where = formatEndpoint(endpoint);
    this.#timeoutMs = timeoutMs;
  }

  async send(message: string): Promise<Uint8Array> {
    const request = encoder.encode(message + "\n");
    const lines = countNewlines(request);
    const maxReply = Math.max(MAX_LINE_BYTES, 4 * request.length);
    using deadline = new Deadline(this.#timeoutMs, () => this.#conn.close());
    try {
      await writeAll(this.#conn, request);
      const reply = await this.#readLines(lines, maxReply);
      return reply.subarray(0, -1);
    } catch (err) {
      if (deadline.expired) {
        throw new SockitError(
          `No reply from ${this.#where} within ${
            formatSeconds(this.#timeoutMs)
          }; raise --timeout if the server is slow`,
        );
      }
      if (err instanceof SockitError) throw err;
      throw new SockitError(
        `Connection to ${this.#where} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  async #readLines(lines: number, maxReply: number): Promise<Uint8Array> {
    let data = this.#leftover;
    let seen = 0;
    let scanned = 0;
    const buffer = new Uint8Array(ECHO_BUFFER_BYTES);
    while (true) {
      for (; scanned < data.length; scanned++) {
        if (data[scanned] === 0x0a && ++seen === lines) {
          this.#leftover = data.slice(scanned + 1);
          return data.subarray(0, scanned + 1);
        }
      }
      if (data.length > maxReply) {
        throw new SockitError(
          `Reply from ${this.#where} is longer than ${maxReply} bytes`,
        );
      }
      const n = await this.#conn.read(buffer);
      if (n === null) {
        throw new SockitError(
          `${this.#where} closed the connection before the reply was complete`,
        );
      }
      const joined = new Uint8Array(data.length + n);
      joined.set(data);
      joined.set(buffer.subarray(0, n), data.length);
      data = joined;
    }
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (const b of bytes) if (b === 0x0a) count++;
  return count;
}

async function streamStdin(
  conn: StreamConn,
  io: ClientIo,
  options: TcpEchoClientOptions,
): Promise<void> {
  const where = formatEndpoint(options.endpoint);
  let idle: IdleWatch | undefined;
  const toServer = copy(io.stdin, conn)
    .then(() => {
      idle = new IdleWatch(options.timeoutMs, () => conn.close());
      return conn.closeWrite();
    })
    .catch(() => {
      // The server closed first: what it sent is still copied below.
    });
  try {
    await copy(conn, io.stdout, { onRead: () => idle?.touch() });
  } catch (err) {
    if (idle?.fired) {
      throw new SockitError(
        `No data from ${where} for ${
          formatSeconds(options.timeoutMs)
        } after stdin ended; raise --timeout if the server is slow`,
      );
    }
    throw new SockitError(
      `Connection to ${where} failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    idle?.[Symbol.dispose]();
  }
  if (idle) await toServer;
}
