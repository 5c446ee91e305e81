/**
 * The TCP echo server: sends back what each client sends, byte for byte, or
 * line by line in `upper`/`reverse` mode, on the shared accept loop.
 *
 * @module
 */

import { MAX_LINE_BYTES } from "../io/lines.ts";
import { BufferedReader } from "../io/buffered_reader.ts";
import {
  READ_MAX_BYTES,
  READ_START_BYTES,
  ReadBuffer,
} from "../io/read_buffer.ts";
import { writeAll } from "../io/streams.ts";
import { PAUSE_ENDS_MESSAGE_MS } from "../io/timers.ts";
import {
  type Acceptor,
  type ConnectionContext,
  type ConnectionHandler,
  serveConnections,
  type ServedConn,
  type ServeOptions,
} from "../server/accept_loop.ts";
import {
  type EchoMode,
  LineSplitter,
  StreamingUpper,
  transformLineKeepingEnding,
} from "./line_modes.ts";

/** The port tcp-echo listens on and its client connects to by default. */
export const TCP_ECHO_PORT = 20000;
/** How the server answers unless told: bytes as they are. */
export const DEFAULT_ECHO_MODE: EchoMode = "echo";

/** The buffer a line-mode echo connection and the client read into: 64 KiB. */
export const ECHO_BUFFER_BYTES = 64 * 1024;

/**
 * The buffer a byte-echo connection grows to once it streams: the shared
 * policy's 256 KiB (`lib/io/read_buffer.ts`; bench/NOTES.md has the
 * measurements of 128 KiB to 1 MiB).
 */
export const ECHO_STREAM_BYTES = READ_MAX_BYTES;

/** Options of {@linkcode serveTcpEcho}. */
export interface TcpEchoServerOptions extends ServeOptions {
  /** Echo bytes as they are, or transform line by line. @default {"echo"} */
  mode?: EchoMode;
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
  listener: Acceptor<ServedConn>,
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
 * import assert from "node:assert/strict";
 * import { echoHandler } from "./server.ts";
 * assert.ok(typeof echoHandler("upper") === "function");
 * ```
 */
export function echoHandler(mode: EchoMode): ConnectionHandler<ServedConn> {
  switch (mode) {
    case "echo":
      return echoBytes;
    case "upper":
      return echoUppercase;
    case "reverse":
      return echoReversedLines;
  }
}

async function echoBytes(
  conn: ServedConn,
  context: ConnectionContext,
): Promise<void> {
  // Idle and chatty connections keep a small buffer; one that fills it is
  // streaming and grows, up to ECHO_STREAM_BYTES; a quiet one shrinks back.
  // Alone, a stream does best with 64 KiB reads (its echo goes back sooner);
  // among other streams, with 256 KiB (fewer reads for the same bytes).
  let counted = false;
  const buffer = new ReadBuffer(
    ECHO_START_BYTES,
    ECHO_STREAM_BYTES,
    () =>
      streamsNow - (counted ? 1 : 0) > 0 ? ECHO_STREAM_BYTES : ECHO_ALONE_BYTES,
  );
  try {
    while (true) {
      const bytes = buffer.bytes;
      const n = await conn.read(bytes);
      if (n === null) return;
      context.received(n);
      await writeAll(conn, bytes.subarray(0, n), context.sent);
      buffer.took(n);
      const streaming = buffer.bytes.length >= ECHO_ALONE_BYTES;
      if (streaming !== counted) {
        streamsNow += streaming ? 1 : -1;
        counted = streaming;
      }
    }
  } finally {
    if (counted) streamsNow--;
  }
}

/**
 * A streaming echo connection's buffer while it is the only stream: 64 KiB.
 * Alone, a stream with a short window does best with 64 KiB reads (its echo
 * goes back sooner: 1.2-1.35 times the bytes of 256 KiB reads); among other
 * streams, 256 KiB reads move more (bench/NOTES.md).
 */
export const ECHO_ALONE_BYTES = 64 * 1024;
/** Echo connections whose buffer has grown to ECHO_ALONE_BYTES or more, in this process. */
let streamsNow = 0;

/** The buffer an echo connection starts with: 2 KiB. */
export const ECHO_START_BYTES = READ_START_BYTES;

/** Uppercases each chunk as it arrives, holding back only a split UTF-8 character. */
async function echoUppercase(
  conn: ServedConn,
  context: ConnectionContext,
): Promise<void> {
  const buffer = new Uint8Array(ECHO_BUFFER_BYTES);
  const upper = new StreamingUpper();
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    context.received(n);
    await writeAll(conn, upper.push(buffer.subarray(0, n)), context.sent);
  }
  await writeAll(conn, upper.flush(), context.sent);
}

/**
 * Reverses line by line, keeping each line's ending; a partial line is
 * answered once the client pauses ({@linkcode PAUSE_ENDS_MESSAGE_MS}) or
 * half-closes, so a client that sends `hello` and waits gets `olleh`.
 */
async function echoReversedLines(
  conn: ServedConn,
  context: ConnectionContext,
): Promise<void> {
  const input = new BufferedReader(conn, MAX_LINE_BYTES, context.received);
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  const reply = (line: Uint8Array) =>
    writeAll(conn, transformLineKeepingEnding("reverse", line), context.sent);
  while (true) {
    const got = await input.fill(input.length + 1, PAUSE_ENDS_MESSAGE_MS);
    if (got === "ok") {
      for (const line of splitter.push(input.take(input.length))) {
        await reply(line);
      }
      continue;
    }
    const partial = splitter.flush();
    if (partial) await reply(partial);
    if (got === "eof") return;
  }
}
