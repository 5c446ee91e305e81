/**
 * A server's limits on its connections and its shutdown (`--max-conns`,
 * `--idle-timeout`, `--grace`), and a client's `--timeout`.
 *
 * @module
 */

import { count, duration } from "../cli/option.ts";
import {
  DEFAULT_GRACE_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS,
} from "../server/accept_loop.ts";

/** How long a server's in-flight work may finish at shutdown: `--grace`. */
export const GRACE_OPTIONS = {
  grace: duration({
    help:
      "On SIGINT/SIGTERM, time in-flight work gets to finish; a second signal ends it at once",
    value: "SECONDS",
    min: 0,
    max: 3_600_000,
    default: DEFAULT_GRACE_MS,
  }),
};

/**
 * The accept loop's limits: `--max-conns` and `--idle-timeout` (what idle
 * means is the service's to say).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionLimitOptions } from "./limit_options.ts";
 * assert.ok(connectionLimitOptions("Close a quiet connection").maxConns.default === 1024);
 * ```
 */
export function connectionLimitOptions(idleHelp: string) {
  return {
    maxConns: count({
      help: "Connections open at once; one more is closed at once",
      value: "N",
      min: 1,
      max: 100000,
      default: DEFAULT_MAX_CONNS,
    }),
    idleTimeout: duration({
      help: `${idleHelp} this long; 0 = never`,
      value: "SECONDS",
      min: 0,
      max: 86_400_000,
      default: DEFAULT_IDLE_TIMEOUT_MS,
    }),
  };
}

/**
 * The accept loop's options from a stream server's values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptLoopFrom } from "./limit_options.ts";
 * assert.ok(acceptLoopFrom({ maxConns: 1, idleTimeout: 2, grace: 3 }).graceMs === 3);
 * ```
 */
export function acceptLoopFrom(
  values: { maxConns: number; idleTimeout: number; grace: number },
): { maxConns: number; idleTimeoutMs: number; graceMs: number } {
  return {
    maxConns: values.maxConns,
    idleTimeoutMs: values.idleTimeout,
    graceMs: values.grace,
  };
}

/**
 * A client's `--timeout`, in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeoutOption } from "./limit_options.ts";
 * assert.ok(timeoutOption(10_000).timeout.parse("0.5") === 500);
 * ```
 */
export function timeoutOption(
  defaultMs: number,
  help = "Limit on the connect and on each reply",
) {
  return {
    timeout: duration({
      help,
      value: "SECONDS",
      short: "t",
      min: 1,
      max: 3_600_000,
      default: defaultMs,
    }),
  };
}
