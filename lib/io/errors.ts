/**
 * The error classes that carry sockit's exit codes. `main` turns a
 * {@linkcode UsageError} into exit code 2 with a pointer to `--help`, and a
 * {@linkcode SockitError} into exit code 1; both print one line.
 *
 * @module
 */

/** Exit code for a runtime failure: refused connection, timeout, mismatch. */
export const EXIT_FAILURE = 1;
/** Exit code for a usage error: unknown option, bad value. */
export const EXIT_USAGE = 2;
/** Exit code when stdout's reader went away: 141, what a shell reports for a tool killed by SIGPIPE. */
export const EXIT_OUTPUT_CLOSED = 141;

/**
 * A mistake on the command line. The message names the problem; `help` names
 * the command whose `--help` explains the fix. A command's `run` may leave
 * `help` out: the parser then points at that command's service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./errors.ts";
 * const err = new UsageError('Invalid port "70000": use 0 to 65535', "sockit tcp-echo --help");
 * assert.ok(err.exitCode === 2);
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The process exit code for this error. */
  readonly exitCode = EXIT_USAGE;
  /** The command whose `--help` explains the fix; `undefined` until the parser sets it. */
  readonly help: string | undefined;

  /** Creates a usage error pointing at `help`. */
  constructor(message: string, help?: string) {
    super(message);
    this.help = help;
  }
}

/**
 * A runtime failure with a message a user can act on, e.g.
 * `cannot connect to tcp://127.0.0.1:20000: connection refused`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "./errors.ts";
 * const err = new SockitError("no reply from udp://127.0.0.1:3000 after 5 tries");
 * assert.ok(err.exitCode === 1);
 * ```
 */
export class SockitError extends Error {
  override name = "SockitError";
  /** The process exit code for this error. */
  readonly exitCode: number;

  /** Creates a runtime error with exit code 1 unless told otherwise. */
  constructor(
    message: string,
    options: { exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/**
 * Writes an error message as the one line sockit prints for it:
 * `sockit: ` and the message with its first letter lowered, as GNU tools do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatErrorLine } from "./errors.ts";
 * assert.ok(formatErrorLine("Cannot connect") === "sockit: cannot connect");
 * assert.ok(formatErrorLine("UDP lost") === "sockit: UDP lost");
 * ```
 */
export function formatErrorLine(message: string): string {
  const lowered = /^[A-Z][a-z]/.test(message)
    ? message[0]!.toLowerCase() + message.slice(1)
    : message;
  return `sockit: ${lowered}`;
}

/**
 * An error's message for a log line or a message's tail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage } from "./errors.ts";
 * assert.ok(errorMessage(new Error("gone")) === "gone" && errorMessage(5) === "5");
 * ```
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Stdout's reader went away (`sockit ... | head -2`): sockit stops quietly
 * with {@linkcode EXIT_OUTPUT_CLOSED}, as Unix tools do, rather than blame
 * the network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputClosed } from "./errors.ts";
 * assert.ok(new OutputClosed().exitCode === 141);
 * ```
 */
export class OutputClosed extends SockitError {
  override name = "OutputClosed";

  /** Creates the error; it is never printed. */
  constructor() {
    super("stdout was closed", { exitCode: EXIT_OUTPUT_CLOSED });
  }
}

/**
 * A raw value an option does not accept; `why` ends the usage error,
 * e.g. `use a port from 0 to 65535`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidValue } from "./errors.ts";
 * assert.ok(new InvalidValue("use a port").why === "use a port");
 * ```
 */
export class InvalidValue extends Error {
  override name = "InvalidValue";
  /** What a valid value looks like. */
  readonly why: string;

  /** Creates the error; `why` is shown after the bad value. */
  constructor(why: string) {
    super(why);
    this.why = why;
  }
}
