/**
 * The result of a command that ran, as the wire carries it: one codec for
 * both places it appears, the header of a single reply and a streamed
 * reply's exit frame, with one set of rules on the way in. Pure.
 * See docs/PROTOCOL.md, "Reply".
 *
 * @module
 */

import { signalNumber } from "../server/signals.ts";
import { FrameError, sizeField } from "./frame.ts";

/** What the server says about a command that ran. */
export interface ExecResult {
  /** Bytes of stdout sent (after truncation). */
  stdout_size: number;
  /** Bytes of stderr sent (after truncation). */
  stderr_size: number;
  /** The exit code, or `null` if a signal ended the command. */
  exit_code: number | null;
  /** The signal that ended the command, or `null`. */
  signal: string | null;
  /** Whether the server's time limit stopped it. */
  timed_out: boolean;
  /** Whether output past `--max-output` was dropped. */
  truncated: boolean;
  /** How long it ran, in ms. */
  duration_ms: number;
}

/**
 * A result's header fields, in the order the protocol lists them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeResult } from "./result.ts";
 * const fields = encodeResult({ stdout_size: 2, stderr_size: 0, exit_code: 0, signal: null, timed_out: false, truncated: false, duration_ms: 1 });
 * assert.ok(fields.exit_code === 0 && fields.stdout_size === 2);
 * ```
 */
export function encodeResult(result: ExecResult): Record<string, unknown> {
  return {
    stdout_size: result.stdout_size,
    stderr_size: result.stderr_size,
    exit_code: result.exit_code,
    signal: result.signal,
    timed_out: result.timed_out,
    truncated: result.truncated,
    duration_ms: result.duration_ms,
  };
}

/**
 * Reads a result from a header a server sent, which may be hostile. The
 * rules, the same wherever a result comes: `exit_code` and `signal` may be
 * absent (a seeds' server sends neither) and are then `null`, else an
 * integer and a string; a size is a whole number (absent: `sizes`' value);
 * `timed_out` and `truncated` are true only when `true`; `duration_ms` is a
 * number, or 0. Throws a {@linkcode FrameError} naming the bad field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseResult } from "./result.ts";
 * const result = parseResult({ exit_code: 3, stdout_size: 2 }, { stdout: 2, stderr: 0 });
 * assert.ok(result.exit_code === 3 && result.signal === null);
 * ```
 */
export function parseResult(
  header: Record<string, unknown>,
  sizes: { stdout: number; stderr: number },
): ExecResult {
  const exitCode = header.exit_code ?? null;
  if (
    exitCode !== null &&
    !(typeof exitCode === "number" && Number.isInteger(exitCode))
  ) {
    throw new FrameError(
      'Header field "exit_code" must be a whole number or null',
    );
  }
  const signal = header.signal ?? null;
  if (signal !== null && typeof signal !== "string") {
    throw new FrameError('Header field "signal" must be a string or null');
  }
  return {
    stdout_size: header.stdout_size === undefined
      ? sizes.stdout
      : sizeField(header, "stdout_size", Number.MAX_SAFE_INTEGER),
    stderr_size: header.stderr_size === undefined
      ? sizes.stderr
      : sizeField(header, "stderr_size", Number.MAX_SAFE_INTEGER),
    exit_code: exitCode,
    signal,
    timed_out: header.timed_out === true,
    truncated: header.truncated === true,
    duration_ms: typeof header.duration_ms === "number" &&
        Number.isFinite(header.duration_ms)
      ? header.duration_ms
      : 0,
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
 * import { clientExitCode } from "./result.ts";
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
