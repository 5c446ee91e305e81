/**
 * OS-level socket errors in a few words a user can act on.
 *
 * @module
 */

/**
 * Describes an OS-level socket error in a few lowercase words, for the tail of
 * a one-line message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeOsError } from "./os_error.ts";
 * assert.ok(describeOsError(new Deno.errors.ConnectionRefused("x")) === "connection refused");
 * ```
 */
export function describeOsError(err: unknown): string {
  const nodeCode = (err as { code?: unknown } | null)?.code;
  if (typeof nodeCode === "string" && nodeCode in NODE_CODES) {
    return NODE_CODES[nodeCode]!;
  }
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

/** What `node:net` errors say, by their code, in the words Deno's get. */
const NODE_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  ENOENT: "no such file or directory",
  ETIMEDOUT: "timed out",
};
