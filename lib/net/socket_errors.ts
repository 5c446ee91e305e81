/**
 * Whose fault a failed `accept()` or `receive()` is. Linux hands a
 * connection's own errors to `accept()`: a connection reset while it waited
 * in the queue fails the call with ENOTCONN or ECONNABORTED, and a pending
 * network error (EPROTO, EHOSTUNREACH, ...) comes back the same way. Those
 * cost that one connection and nothing more: the next `accept()` serves the
 * next client. Only errors of the process or the system (out of file
 * descriptors or memory) make a server pause before trying again; an error
 * sockit does not know is treated as one of those, so an unknown persistent
 * failure cannot make a loop spin.
 *
 * @module
 */

/** What a failed `accept()` or `receive()` says about the server. */
export type SocketFailure =
  /** One peer's trouble (a reset, an unreachable host): drop it, go on at once. */
  | "peer"
  /** The process or the system is short of something: pause, then retry. */
  | "system";

/** Error codes that belong to one connection or one peer, never to the server. */
const PEER_CODES = new Set([
  "ENOTCONN",
  "ECONNABORTED",
  "ECONNRESET",
  "ECONNREFUSED",
  "EPROTO",
  "EPERM", // A firewall rule dropped the handshake's last step.
  "ENOPROTOOPT",
  "EHOSTDOWN",
  "ENONET",
  "EHOSTUNREACH",
  "EOPNOTSUPP",
  "ENETDOWN",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EAGAIN",
  "EWOULDBLOCK",
  "EINTR",
]);

/** Linux's numbers for the codes above, for errors that carry only `(os error N)`. */
const PEER_ERRNOS = new Set([
  107, // ENOTCONN
  103, // ECONNABORTED
  104, // ECONNRESET
  111, // ECONNREFUSED
  71, // EPROTO
  1, // EPERM
  92, // ENOPROTOOPT
  112, // EHOSTDOWN
  64, // ENONET
  113, // EHOSTUNREACH
  95, // EOPNOTSUPP
  100, // ENETDOWN
  101, // ENETUNREACH
  110, // ETIMEDOUT
  11, // EAGAIN
  4, // EINTR
]);

/** Deno's classes for the same errors, when neither a code nor a number is there. */
const PEER_CLASSES = [
  "NotConnected",
  "ConnectionAborted",
  "ConnectionReset",
  "ConnectionRefused",
  "TimedOut",
  "Interrupted",
  "WouldBlock",
];

/**
 * The short name of a socket error for counts and logs: its errno code
 * (`ENOTCONN`) when it has one, else its class name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketErrorCode } from "./socket_errors.ts";
 * const err = Object.assign(new Deno.errors.NotConnected("Transport endpoint is not connected (os error 107)"), { code: "ENOTCONN" });
 * assert.equal(socketErrorCode(err), "ENOTCONN");
 * assert.equal(socketErrorCode(new Error("Too many open files (os error 24)")), "errno-24");
 * ```
 */
export function socketErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return code;
  const errno = osErrno(err);
  if (errno !== undefined) return `errno-${errno}`;
  return err instanceof Error ? err.name : "unknown";
}

/**
 * Whether a failed `accept()` or `receive()` is one peer's trouble or the
 * server's: see the module's description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketFailure } from "./socket_errors.ts";
 * const reset = Object.assign(new Error("Transport endpoint is not connected (os error 107)"), { code: "ENOTCONN" });
 * assert.equal(socketFailure(reset), "peer");
 * assert.equal(socketFailure(Object.assign(new Error("Too many open files"), { code: "EMFILE" })), "system");
 * assert.equal(socketFailure(new Error("something new")), "system");
 * ```
 */
export function socketFailure(err: unknown): SocketFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") {
    return PEER_CODES.has(code) ? "peer" : "system";
  }
  const errno = osErrno(err);
  if (errno !== undefined) return PEER_ERRNOS.has(errno) ? "peer" : "system";
  if (err instanceof Error && PEER_CLASSES.includes(err.name)) return "peer";
  return "system";
}

function osErrno(err: unknown): number | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const match = message.match(/\(os error (\d+)\)/);
  return match ? Number(match[1]) : undefined;
}
