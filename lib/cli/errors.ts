/**
 * The error classes that carry sockit's exit codes. `main` turns a
 * {@linkcode UsageError} into exit code 2 with a pointer to `--help`, and a
 * {@linkcode SockitError} into exit code 1; both print one line.
 *
 * @module
 */

/** Exit code for success. */
export const EXIT_OK = 0;
/** Exit code for a runtime failure: refused connection, timeout, mismatch. */
export const EXIT_FAILURE = 1;
/** Exit code for a usage error: unknown option, bad value. */
export const EXIT_USAGE = 2;

/**
 * A mistake on the command line. The message names the problem; `help` names
 * the command whose `--help` explains the fix.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * const err = new UsageError('Invalid port "70000": use 0 to 65535', "sockit tcp-echo --help");
 * console.assert(err.exitCode === 2);
 * ```
 */
export class UsageError extends Error {
  override name = "UsageError";
  /** The process exit code for this error. */
  readonly exitCode = EXIT_USAGE;
  /** The command whose `--help` explains the fix. */
  readonly help: string;

  /** Creates a usage error pointing at `help`. */
  constructor(message: string, help = "sockit --help") {
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
 * import { SockitError } from "./errors.ts";
 * const err = new SockitError("no reply from udp://127.0.0.1:3000 after 5 tries");
 * console.assert(err.exitCode === 1);
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
 * Describes an OS-level socket error in a few lowercase words, for the tail of
 * a one-line message.
 *
 * @example
 * ```ts
 * import { describeOsError } from "./errors.ts";
 * console.assert(describeOsError(new Deno.errors.ConnectionRefused("x")) === "connection refused");
 * ```
 */
export function describeOsError(err: unknown): string {
  if (err instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (err instanceof Deno.errors.ConnectionReset) {
    return "connection reset by peer";
  }
  if (err instanceof Deno.errors.AddrInUse) return "address already in use";
  if (err instanceof Deno.errors.AddrNotAvailable) {
    return "address not available on this machine";
  }
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.TimedOut) return "timed out";
  const message = err instanceof Error ? err.message : String(err);
  if (
    /lookup address information|Name or service not known|nodename nor servname/i
      .test(message)
  ) {
    return "unknown host";
  }
  return message.replace(/ \(os error \d+\)$/, "").replace(
    /^./,
    (c) => c.toLowerCase(),
  );
}

/**
 * Writes an error message as the one line sockit prints for it:
 * `sockit: ` and the message with its first letter lowered, as GNU tools do.
 *
 * @example
 * ```ts
 * import { formatErrorLine } from "./errors.ts";
 * console.assert(formatErrorLine("Cannot connect") === "sockit: cannot connect");
 * console.assert(formatErrorLine("UDP lost") === "sockit: UDP lost");
 * ```
 */
export function formatErrorLine(message: string): string {
  const lowered = /^[A-Z][a-z]/.test(message)
    ? message[0]!.toLowerCase() + message.slice(1)
    : message;
  return `sockit: ${lowered}`;
}
