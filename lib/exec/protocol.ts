/**
 * The exec service's messages on top of frames: a request header and a
 * reply header, each with its encoder and its decoder, checked field by
 * field on the way in. Pure.
 * See docs/PROTOCOL.md for the byte-by-byte description.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { signalNumber } from "../net/signals.ts";
import { FrameError, sizeField } from "./frame.ts";

/** Error codes a server may reply with. */
export type ExecErrorCode =
  | "unauthorized"
  | "not_allowed"
  | "busy"
  | "bad_request";

/** A request, validated. */
export interface ExecRequest {
  /** The command line. */
  cmd: string;
  /** The shared token, if sent. */
  token?: string;
  /** Bytes of stdin that follow the header. */
  stdinSize: number;
  /** The client's time limit in ms; it can only lower the server's. */
  timeoutMs?: number;
  /** Stream the reply, frame by frame (`"stream": 1`). */
  stream?: boolean;
  /** Stdin follows as frames (`"stdin": "stream"`), not as a body. */
  stdinStream?: boolean;
}

/**
 * Validates a request header. Throws a {@linkcode FrameError} naming the
 * first bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExecRequest } from "./protocol.ts";
 * const request = parseExecRequest({ cmd: "ls", stdin_size: 3 }, { maxStdin: 10 });
 * assert.ok(request.cmd === "ls" && request.stdinSize === 3);
 * ```
 */
export function parseExecRequest(
  header: Record<string, unknown>,
  limits: { maxStdin: number },
): ExecRequest {
  const { cmd, token, timeout_ms } = header;
  if (typeof cmd !== "string") {
    throw new FrameError('Header field "cmd" must be a string');
  }
  checkCommandText(cmd);
  if (token !== undefined && typeof token !== "string") {
    throw new FrameError('Header field "token" must be a string');
  }
  const request: ExecRequest = {
    cmd,
    stdinSize: header.stdin_size === undefined
      ? 0
      : sizeField(header, "stdin_size", limits.maxStdin),
  };
  if (token !== undefined) request.token = token;
  parseStreaming(header, request);
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

/** Reads `stream` and `stdin` (docs/PROTOCOL.md, "Streamed exec"). */
function parseStreaming(
  header: Record<string, unknown>,
  request: ExecRequest,
): void {
  if (header.stream !== undefined) {
    if (header.stream !== 1) {
      throw new FrameError(
        `Header field "stream" must be 1, the version this server streams, got ${
          JSON.stringify(header.stream)
        }`,
      );
    }
    request.stream = true;
  }
  if (header.stdin === undefined) return;
  if (header.stdin !== "stream" || !request.stream) {
    throw new FrameError(
      'Header field "stdin" may only be "stream", with "stream": 1',
    );
  }
  if (request.stdinSize > 0) {
    throw new FrameError(
      'Header fields "stdin": "stream" and "stdin_size" exclude each other',
    );
  }
  request.stdinStream = true;
}

/**
 * Encodes a request's header (the client's side of
 * {@linkcode parseExecRequest}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeRequestHeader, parseExecRequest } from "./protocol.ts";
 * const header = encodeRequestHeader({ cmd: "ls", stdinSize: 2, timeoutMs: 5000 });
 * assert.ok(parseExecRequest(header, { maxStdin: 10 }).timeoutMs === 5000);
 * ```
 */
export function encodeRequestHeader(
  request: ExecRequest,
): Record<string, unknown> {
  const header: Record<string, unknown> = { cmd: request.cmd };
  if (request.timeoutMs !== undefined) header.timeout_ms = request.timeoutMs;
  if (request.token !== undefined) header.token = request.token;
  if (request.stdinSize > 0) header.stdin_size = request.stdinSize;
  if (request.stream) header.stream = 1;
  if (request.stdinStream) header.stdin = "stream";
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

/** What a response header says about a command that ran. */
export interface ExecResult {
  /** Bytes of stdout in the body (after truncation). */
  stdout_size: number;
  /** Bytes of stderr in the body (after truncation). */
  stderr_size: number;
  /** The exit code, or `null` if a signal ended the command. */
  exit_code: number | null;
  /** The signal that ended the command, or `null`. */
  signal: string | null;
  /** Whether the server's time limit stopped it. */
  timed_out: boolean;
  /** Whether output past `--max-output` was dropped. */
  truncated: boolean;
  /** How long it ran. */
  duration_ms: number;
}

/** A response header, validated: a result, or a refusal. */
export type ExecResponse =
  | ({ kind: "result"; total_size: number; sha256: string | null } & ExecResult)
  | { kind: "error"; error: string; message: string };

/**
 * Validates a response header from a server that may be hostile: every
 * size checked against `maxBody` before anything is allocated for it.
 * Throws a {@linkcode FrameError} naming the bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExecResponse } from "./protocol.ts";
 * const r = parseExecResponse({ total_size: 0, exit_code: 0 }, 100);
 * assert.ok(r.kind === "result" && r.total_size === 0);
 * ```
 */
export function parseExecResponse(
  header: Record<string, unknown>,
  maxBody: number,
): ExecResponse {
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
    : sizeField(header, "stdout_size", maxBody);
  const stderr = header.stderr_size === undefined
    ? total - stdout
    : sizeField(header, "stderr_size", maxBody);
  if (stdout + stderr !== total) {
    throw new FrameError(
      `stdout_size ${stdout} + stderr_size ${stderr} is not total_size ${total}`,
    );
  }
  const exitCode = header.exit_code ?? null;
  if (
    exitCode !== null &&
    (typeof exitCode !== "number" || !Number.isInteger(exitCode))
  ) {
    throw new FrameError(
      'Header field "exit_code" must be a whole number or null',
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
  return {
    kind: "result",
    total_size: total,
    stdout_size: stdout,
    stderr_size: stderr,
    exit_code: exitCode,
    signal: typeof header.signal === "string" ? header.signal : null,
    timed_out: header.timed_out === true,
    truncated: header.truncated === true,
    duration_ms: typeof header.duration_ms === "number"
      ? header.duration_ms
      : 0,
    sha256: sha,
  };
}

/**
 * Encodes a refusal's header: an error code, a message, no body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeErrorHeader, parseExecResponse } from "./protocol.ts";
 * const r = parseExecResponse(encodeErrorHeader("busy", "later"), 0);
 * assert.ok(r.kind === "error" && r.message === "later");
 * ```
 */
export function encodeErrorHeader(
  code: ExecErrorCode,
  message: string,
): Record<string, unknown> {
  return { error: code, message, total_size: 0 };
}

/**
 * Encodes a result's header, with the SHA-256 of the body (stdout then
 * stderr) that follows it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResultHeader, parseExecResponse } from "./protocol.ts";
 * const result = { stdout_size: 2, stderr_size: 0, exit_code: 0, signal: null, timed_out: false, truncated: false, duration_ms: 1 };
 * const header = encodeResultHeader(result, new TextEncoder().encode("hi"), new Uint8Array());
 * assert.ok(parseExecResponse(header, 10).kind === "result");
 * ```
 */
export function encodeResultHeader(
  result: ExecResult,
  stdout: Uint8Array,
  stderr: Uint8Array,
): Record<string, unknown> {
  const hash = createHash("sha256").update(stdout).update(stderr).digest(
    "hex",
  );
  return {
    total_size: result.stdout_size + result.stderr_size,
    stdout_size: result.stdout_size,
    stderr_size: result.stderr_size,
    exit_code: result.exit_code,
    signal: result.signal,
    timed_out: result.timed_out,
    truncated: result.truncated,
    duration_ms: result.duration_ms,
    sha256: hash,
  };
}

/**
 * The exit code a client reports for a result, as ssh and `timeout(1)` do:
 * 124 for a timeout, 128 + N for signal N (1 for a signal it does not
 * know), else the command's own; 0 when the reply has neither (a seeds'
 * server reports no exit code).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientExitCode } from "./protocol.ts";
 * assert.ok(clientExitCode({ exit_code: null, signal: "SIGKILL", timed_out: false }) === 137);
 * assert.ok(clientExitCode({ exit_code: null, signal: "SIGTERM", timed_out: true }) === 124);
 * ```
 */
export function clientExitCode(
  result: Pick<ExecResult, "exit_code" | "signal" | "timed_out">,
): number {
  if (result.timed_out) return 124;
  if (result.exit_code !== null) return result.exit_code;
  if (result.signal === null) return 0; // A seeds' server reports no exit code at all.
  const number = signalNumber(result.signal);
  return number === undefined ? 1 : 128 + number;
}
