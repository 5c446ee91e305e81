/**
 * The exec protocol's messages on top of frames, both directions, each
 * with its encoder and its decoder, checked field by field on the way in.
 * One protocol with two reply modes: a request is answered by a single
 * reply (a header with the result, then stdout and stderr as one body) or,
 * when it says `"stream": 1`, by output frames as the command writes and
 * one exit frame; its stdin comes as a body of `stdin_size` bytes or, with
 * `"stdin": "stream"`, as stdin frames. A `{"hello":1}` request asks
 * whether a server streams. Pure. See docs/PROTOCOL.md.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { FrameError, sizeField } from "./frame.ts";
import { encodeResult, type ExecResult, parseResult } from "./result.ts";

/** The streaming version this sockit speaks. */
export const STREAM_VERSION = 1;
/** The largest body of one output or stdin frame: 64 KiB. */
export const MAX_CHUNK_BYTES = 64 * 1024;

/** Error codes a server may reply with. */
export type ExecErrorCode =
  | "unauthorized"
  | "not_allowed"
  | "busy"
  | "bad_request";

/** How a request's reply comes: one reply at the end, or frames as they come. */
export type ReplyMode = "single" | "stream";

/** How a request's stdin comes: a body of known size, or stdin frames. */
export type StdinMode = { size: number } | "frames";

/** A request to run a command, validated. */
export interface RunRequest {
  kind: "run";
  /** The command line. */
  cmd: string;
  /** The shared token, if sent. */
  token?: string;
  /** The client's time limit in ms; it can only lower the server's. */
  timeoutMs?: number;
  /** How the reply comes. */
  reply: ReplyMode;
  /** How stdin comes (frames only with a streamed reply). */
  stdin: StdinMode;
  /** Whether it came in the seeds' raw protocol (no frame, no token). */
  legacy?: boolean;
}

/** A request, validated: a hello, or a command to run. */
export type ExecRequest = { kind: "hello" } | RunRequest;

/** The request that asks a server whether it streams. */
export const HELLO_REQUEST: Record<string, unknown> = { hello: 1 };
/** A streaming server's answer to {@linkcode HELLO_REQUEST}. */
export const HELLO_REPLY: Record<string, unknown> = {
  hello: 1,
  stream: STREAM_VERSION,
};
/** The frame that ends a streamed stdin. */
export const STDIN_END: Record<string, unknown> = { type: "stdin_end" };

/**
 * Validates a request header. Throws a {@linkcode FrameError} naming the
 * first bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequest } from "./protocol.ts";
 * const request = parseRequest({ cmd: "ls", stdin_size: 3 }, { maxStdin: 10 });
 * assert.ok(request.kind === "run" && request.reply === "single");
 * assert.ok(parseRequest({ hello: 1 }, { maxStdin: 0 }).kind === "hello");
 * ```
 */
export function parseRequest(
  header: Record<string, unknown>,
  limits: { maxStdin: number },
): ExecRequest {
  const { cmd, token, timeout_ms } = header;
  if (header.hello !== undefined && cmd === undefined) return { kind: "hello" };
  if (typeof cmd !== "string") {
    throw new FrameError('Header field "cmd" must be a string');
  }
  checkCommandText(cmd);
  if (token !== undefined && typeof token !== "string") {
    throw new FrameError('Header field "token" must be a string');
  }
  const reply = replyModeOf(header);
  const request: RunRequest = {
    kind: "run",
    cmd,
    reply,
    stdin: stdinModeOf(header, reply, limits.maxStdin),
  };
  if (token !== undefined) request.token = token;
  if (timeout_ms !== undefined) {
    if (
      typeof timeout_ms !== "number" || !(timeout_ms > 0) ||
      !Number.isFinite(timeout_ms)
    ) {
      throw new FrameError(
        'Header field "timeout_ms" must be a positive number',
      );
    }
    request.timeoutMs = timeout_ms;
  }
  return request;
}

function replyModeOf(header: Record<string, unknown>): ReplyMode {
  if (header.stream === undefined) return "single";
  if (header.stream !== STREAM_VERSION) {
    throw new FrameError(
      `Header field "stream" must be 1, the version this server streams, got ${
        JSON.stringify(header.stream)
      }`,
    );
  }
  return "stream";
}

function stdinModeOf(
  header: Record<string, unknown>,
  reply: ReplyMode,
  maxStdin: number,
): StdinMode {
  const size = header.stdin_size === undefined
    ? 0
    : sizeField(header, "stdin_size", maxStdin);
  if (header.stdin === undefined) return { size };
  if (header.stdin !== "stream" || reply !== "stream") {
    throw new FrameError(
      'Header field "stdin" may only be "stream", with "stream": 1',
    );
  }
  if (size > 0) {
    throw new FrameError(
      'Header fields "stdin": "stream" and "stdin_size" exclude each other',
    );
  }
  return "frames";
}

/**
 * Encodes a request's header (the client's side of
 * {@linkcode parseRequest}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRequest, parseRequest } from "./protocol.ts";
 * const header = encodeRequest({ kind: "run", cmd: "ls", reply: "stream", stdin: { size: 2 }, timeoutMs: 5000 });
 * assert.deepEqual(parseRequest(header, { maxStdin: 10 }), { kind: "run", cmd: "ls", reply: "stream", stdin: { size: 2 }, timeoutMs: 5000 });
 * ```
 */
export function encodeRequest(request: ExecRequest): Record<string, unknown> {
  if (request.kind === "hello") return HELLO_REQUEST;
  const header: Record<string, unknown> = { cmd: request.cmd };
  if (request.timeoutMs !== undefined) header.timeout_ms = request.timeoutMs;
  if (request.token !== undefined) header.token = request.token;
  if (request.stdin !== "frames" && request.stdin.size > 0) {
    header.stdin_size = request.stdin.size;
  }
  if (request.reply === "stream") header.stream = STREAM_VERSION;
  if (request.stdin === "frames") header.stdin = "stream";
  return header;
}

/**
 * Refuses a command that is empty or holds a NUL byte.
 *
 * @example
 * ```ts
 * import { checkCommandText } from "./protocol.ts";
 * checkCommandText("echo hi");
 * ```
 */
export function checkCommandText(cmd: string): void {
  if (cmd.trim() === "") throw new FrameError("The command is empty");
  if (cmd.includes("\0")) throw new FrameError("The command holds a NUL byte");
}

/** Which stream a chunk frame carries. */
export type ChunkType = "stdout" | "stderr" | "stdin";

/**
 * The header of a frame carrying `size` bytes of one stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkHeader } from "./protocol.ts";
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
 * Reads a stdin frame's header on the server: data of some size, or the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseStdinFrame } from "./protocol.ts";
 * assert.ok(parseStdinFrame({ type: "stdin_end" }).kind === "end");
 * ```
 */
export function parseStdinFrame(
  header: Record<string, unknown>,
): { kind: "data"; size: number } | { kind: "end" } {
  if (header.type === "stdin_end") return { kind: "end" };
  if (header.type === "stdin") {
    return { kind: "data", size: sizeField(header, "size", MAX_CHUNK_BYTES) };
  }
  throw new FrameError(
    `Expected a stdin or stdin_end frame, got ${JSON.stringify(header.type)}`,
  );
}

/**
 * The header of a single reply: the result, the body's size and the
 * SHA-256 of the body (stdout then stderr) that follows it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseReplyFrame, singleReplyHeader } from "./protocol.ts";
 * const result = { stdout_size: 2, stderr_size: 0, exit_code: 0, signal: null, timed_out: false, truncated: false, duration_ms: 1 };
 * const header = singleReplyHeader(result, new TextEncoder().encode("hi"), new Uint8Array());
 * assert.ok(parseReplyFrame(header, 10).kind === "single");
 * ```
 */
export function singleReplyHeader(
  result: ExecResult,
  stdout: Uint8Array,
  stderr: Uint8Array,
): Record<string, unknown> {
  const hash = createHash("sha256").update(stdout).update(stderr).digest(
    "hex",
  );
  return {
    total_size: result.stdout_size + result.stderr_size,
    ...encodeResult(result),
    sha256: hash,
  };
}

/**
 * The final frame of a streamed reply: the result, with no body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitHeader } from "./protocol.ts";
 * const header = exitHeader({ stdout_size: 1, stderr_size: 0, exit_code: 0, signal: null, timed_out: false, truncated: false, duration_ms: 3 });
 * assert.ok(header.type === "exit" && header.exit_code === 0);
 * ```
 */
export function exitHeader(result: ExecResult): Record<string, unknown> {
  return { type: "exit", ...encodeResult(result) };
}

/**
 * Encodes a refusal's header: an error code, a message, no body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeErrorHeader, parseReplyFrame } from "./protocol.ts";
 * const frame = parseReplyFrame(encodeErrorHeader("busy", "later"), 0);
 * assert.ok(frame.kind === "error" && frame.message === "later");
 * ```
 */
export function encodeErrorHeader(
  code: ExecErrorCode,
  message: string,
): Record<string, unknown> {
  return { error: code, message, total_size: 0 };
}

/** A frame of a reply, as the client reads it. */
export type ReplyFrame =
  | { kind: "single"; result: ExecResult; total: number; sha256: string | null }
  | { kind: "error"; error: string; message: string }
  | { kind: "chunk"; type: "stdout" | "stderr"; size: number }
  | { kind: "exit"; result: ExecResult };

/**
 * Reads a reply frame's header from a server that may be hostile: a single
 * reply (its body up to `maxBody`), a refusal, an output chunk, or the
 * exit frame. `counted` gives the sizes an exit frame leaves out (the bytes
 * of each stream that came). Every size is checked before anything is
 * allocated for it; throws a {@linkcode FrameError} naming the bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseReplyFrame } from "./protocol.ts";
 * const frame = parseReplyFrame({ total_size: 0, exit_code: 0 }, 100);
 * assert.ok(frame.kind === "single" && frame.total === 0);
 * assert.ok(parseReplyFrame({ type: "stderr", size: 2 }, 100).kind === "chunk");
 * ```
 */
export function parseReplyFrame(
  header: Record<string, unknown>,
  maxBody: number,
  counted: { stdout: number; stderr: number } = { stdout: 0, stderr: 0 },
): ReplyFrame {
  const { type } = header;
  if (type === "stdout" || type === "stderr") {
    return {
      kind: "chunk",
      type,
      size: sizeField(header, "size", MAX_CHUNK_BYTES),
    };
  }
  if (type === "exit") {
    return { kind: "exit", result: parseResult(header, counted) };
  }
  if (type !== undefined) {
    throw new FrameError(`Unknown frame type ${JSON.stringify(type)}`);
  }
  const total = sizeField(header, "total_size", maxBody);
  if (typeof header.error === "string") {
    if (total !== 0) {
      throw new FrameError("An error reply must have total_size 0");
    }
    const message = typeof header.message === "string"
      ? header.message
      : header.error;
    return { kind: "error", error: header.error, message };
  }
  const stdout = header.stdout_size === undefined
    ? total
    : sizeField(header, "stdout_size", total);
  const result = parseResult(header, { stdout, stderr: total - stdout });
  if (result.stdout_size + result.stderr_size !== total) {
    throw new FrameError(
      `stdout_size ${result.stdout_size} + stderr_size ${result.stderr_size} is not total_size ${total}`,
    );
  }
  const sha = header.sha256 ?? null;
  if (
    sha !== null && (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha))
  ) {
    throw new FrameError(
      'Header field "sha256" must be 64 lowercase hex digits',
    );
  }
  return { kind: "single", result, total, sha256: sha };
}

/**
 * Whether a reply is a streaming server's answer to {@linkcode HELLO_REQUEST}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HELLO_REPLY, streamsAccordingTo } from "./protocol.ts";
 * assert.ok(streamsAccordingTo(HELLO_REPLY) && !streamsAccordingTo({ error: "bad_request" }));
 * ```
 */
export function streamsAccordingTo(header: Record<string, unknown>): boolean {
  return header.hello === 1 && header.stream === STREAM_VERSION;
}

/**
 * The size of the body a frame's header announces, whichever message it
 * is (a request's stdin, a single reply's output, a chunk); 0 for none or
 * a size that is no whole number. For a reader that follows frames
 * without judging them, as `--trace` does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { announcedBodySize } from "./protocol.ts";
 * assert.ok(announcedBodySize({ type: "stdout", size: 5 }) === 5);
 * assert.ok(announcedBodySize({ hello: 1 }) === 0);
 * ```
 */
export function announcedBodySize(header: Record<string, unknown>): number {
  for (const field of ["stdin_size", "total_size", "size"]) {
    const value = header[field];
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) {
      return value;
    }
  }
  return 0;
}
