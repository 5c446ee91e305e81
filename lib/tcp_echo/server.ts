/**
 * The TCP echo server: sends back what each client sends, byte for byte, or
 * line by line in `upper`/`reverse` mode, on the shared accept loop.
 *
 * @module
 */

import type { Logger } from "../io/log.ts";
import { MAX_LINE_BYTES } from "../io/lines.ts";
import { writeAll } from "../io/streams.ts";
import {
  type ConnectionContext,
  type ConnectionHandler,
  serveConnections,
} from "../net/accept_loop.ts";
import {
  type EchoMode,
  LineSplitter,
  transformLineKeepingEnding,
} from "./line_modes.ts";

/** The port tcp-echo listens on and its client connects to by default. */
export const TCP_ECHO_PORT = 20000;
/** How the server answers unless told: bytes as they are. */
export const DEFAULT_ECHO_MODE: EchoMode = "echo";

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
 * import { serveTcpEcho } from "./server.ts";
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
    echoHandler(options.mode ?? DEFAULT_ECHO_MODE),
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
 * import { echoHandler } from "./server.ts";
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
