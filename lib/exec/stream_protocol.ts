/**
 * Streamed exec, version 1, on top of the same frames: a request that says
 * `"stream": 1` gets its output as it is produced, one frame per chunk
 * (`{"type":"stdout","size":N}` and N bytes, or `stderr`), then one
 * `{"type":"exit", ...}` frame with the result; with `"stdin": "stream"`
 * its stdin follows the request as `{"type":"stdin","size":N}` frames and
 * one `{"type":"stdin_end"}`. A `{"hello":1}` request asks whether a server
 * streams before stdin is sent its way. Pure. See docs/PROTOCOL.md.
 *
 * @module
 */

import { FrameError, sizeField } from "./frame.ts";
import type { ExecResult } from "./protocol.ts";

/** The streaming version this sockit speaks. */
export const STREAM_VERSION = 1;
/** The largest body of one streamed frame: 64 KiB. */
export const MAX_STREAM_CHUNK = 64 * 1024;

/** The request that asks a server whether it streams. */
export const HELLO_REQUEST: Record<string, unknown> = { hello: 1 };
/** A streaming server's answer to {@linkcode HELLO_REQUEST}. */
export const HELLO_REPLY: Record<string, unknown> = {
  hello: 1,
  stream: STREAM_VERSION,
};
/** The frame that ends a streamed stdin. */
export const STDIN_END: Record<string, unknown> = { type: "stdin_end" };

/** Which stream a chunk frame carries. */
export type ChunkType = "stdout" | "stderr" | "stdin";

/**
 * The header of a frame carrying `size` bytes of one stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkHeader } from "./stream_protocol.ts";
 * assert.ok(chunkHeader("stdout", 5).size === 5);
 * ```
 */
export function chunkHeader(
  type: ChunkType,
  size: number,
): Record<string, unknown> {
  return { type, size };
}

/**
 * The final frame of a streamed reply: the result, with no body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitHeader } from "./stream_protocol.ts";
 * const header = exitHeader({ stdout_size: 1, stderr_size: 0, exit_code: 0, signal: null, timed_out: false, truncated: false, duration_ms: 3 });
 * assert.ok(header.type === "exit" && header.exit_code === 0);
 * ```
 */
export function exitHeader(result: ExecResult): Record<string, unknown> {
  return {
    type: "exit",
    exit_code: result.exit_code,
    signal: result.signal,
    timed_out: result.timed_out,
    truncated: result.truncated,
    stdout_size: result.stdout_size,
    stderr_size: result.stderr_size,
    duration_ms: result.duration_ms,
  };
}

/** A frame of a streamed reply, as the client reads it. */
export type StreamedFrame =
  | { kind: "chunk"; type: "stdout" | "stderr"; size: number }
  | { kind: "exit"; result: ExecResult }
  | { kind: "single" };

/**
 * Reads a reply frame's header in a streamed exchange: a chunk, the exit,
 * or `single` for a header with no `type` (a server that does not stream
 * sent its one reply). Throws a {@linkcode FrameError} for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStreamedFrame } from "./stream_protocol.ts";
 * assert.ok(parseStreamedFrame({ type: "stderr", size: 2 }).kind === "chunk");
 * assert.ok(parseStreamedFrame({ total_size: 0 }).kind === "single");
 * ```
 */
export function parseStreamedFrame(
  header: Record<string, unknown>,
): StreamedFrame {
  const { type } = header;
  if (type === undefined) return { kind: "single" };
  if (type === "stdout" || type === "stderr") {
    return {
      kind: "chunk",
      type,
      size: sizeField(header, "size", MAX_STREAM_CHUNK),
    };
  }
  if (type === "exit") {
    const exitCode = header.exit_code;
    const signal = header.signal;
    if (
      exitCode !== null &&
      !(typeof exitCode === "number" && Number.isInteger(exitCode))
    ) {
      throw new FrameError(
        'Header field "exit_code" must be a whole number or null',
      );
    }
    if (signal !== null && typeof signal !== "string") {
      throw new FrameError('Header field "signal" must be a string or null');
    }
    return {
      kind: "exit",
      result: {
        exit_code: exitCode,
        signal,
        timed_out: header.timed_out === true,
        truncated: header.truncated === true,
        stdout_size: sizeField(header, "stdout_size", Number.MAX_SAFE_INTEGER),
        stderr_size: sizeField(header, "stderr_size", Number.MAX_SAFE_INTEGER),
        duration_ms: typeof header.duration_ms === "number"
          ? header.duration_ms
          : 0,
      },
    };
  }
  throw new FrameError(`Unknown frame type ${JSON.stringify(type)}`);
}

/**
 * Reads a stdin frame's header on the server: data of some size, or the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStdinFrame } from "./stream_protocol.ts";
 * assert.ok(parseStdinFrame({ type: "stdin_end" }).kind === "end");
 * ```
 */
export function parseStdinFrame(
  header: Record<string, unknown>,
): { kind: "data"; size: number } | { kind: "end" } {
  if (header.type === "stdin_end") return { kind: "end" };
  if (header.type === "stdin") {
    return { kind: "data", size: sizeField(header, "size", MAX_STREAM_CHUNK) };
  }
  throw new FrameError(
    `Expected a stdin or stdin_end frame, got ${JSON.stringify(header.type)}`,
  );
}

/**
 * Whether a reply is a streaming server's answer to {@linkcode HELLO_REQUEST}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HELLO_REPLY, streamsAccordingTo } from "./stream_protocol.ts";
 * assert.ok(streamsAccordingTo(HELLO_REPLY) && !streamsAccordingTo({ error: "bad_request" }));
 * ```
 */
export function streamsAccordingTo(header: Record<string, unknown>): boolean {
  return header.hello === 1 && header.stream === STREAM_VERSION;
}
