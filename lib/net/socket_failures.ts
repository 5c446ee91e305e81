/**
 * What every accept loop and receive loop does after a failed `accept()` or
 * `receive()`: one peer's failure (a connection reset while queued, an ICMP
 * error) costs only that peer and is counted, summed up in one warning a
 * second at most; a failure of the process or the system (out of file
 * descriptors or memory, or one sockit does not know) is logged and waited
 * out with back-off (5 ms doubling to 1 s), so nothing spins.
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import type { Logger } from "../io/log.ts";
import { formatCounts, Tally } from "../io/tally.ts";
import { Backoff } from "../io/timers.ts";
import { socketErrorCode, socketFailure } from "./socket_errors.ts";

/** The first pause after a failure of the process or the system, in ms: 5, doubling. */
export const FIRST_FAILURE_BACKOFF_MS = 5;

/** The longest pause after a failure of the process or the system, in ms: 1 s. */
export const MAX_FAILURE_BACKOFF_MS = 1000;

/** How often one peer's failures are summed up in a log line at most, in ms: 1 s. */
export const FAILURE_SUMMARY_MS = 1000;

/**
 * The failures of one loop (`accept` or `receive`), or of the TLS
 * handshakes a listener runs before `accept()` (`handshake`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketFailures } from "./socket_failures.ts";
 * import { Logger } from "../io/log.ts";
 * const lines: string[] = [];
 * {
 *   using failures = new SocketFailures("accept", new Logger({ service: "doc", sink: (l) => lines.push(l) }));
 *   await failures.handle(Object.assign(new Error("reset"), { code: "ECONNABORTED" }), AbortSignal.abort());
 * }
 * assert.match(lines[0]!, /accept-dropped peers=1 errors=ECONNABORTED:1/);
 * ```
 */
export class SocketFailures implements Disposable {
  readonly #what: "accept" | "receive" | "handshake";
  readonly #logger: Logger;
  readonly #backoff = new Backoff(
    FIRST_FAILURE_BACKOFF_MS,
    MAX_FAILURE_BACKOFF_MS,
  );
  readonly #dropped: Tally;

  /** Handles the failures of an `accept` or a `receive` loop (or of handshakes), logging to `logger`. */
  constructor(what: "accept" | "receive" | "handshake", logger: Logger) {
    this.#what = what;
    this.#logger = logger;
    this.#dropped = new Tally(
      FAILURE_SUMMARY_MS,
      (counts, total) =>
        logger.warn(`${what}-dropped`, {
          peers: total,
          errors: formatCounts(counts),
          per_ms: FAILURE_SUMMARY_MS,
        }),
    );
  }

  /**
   * After a failure: counts a peer's and returns at once, or logs the
   * server's and waits the next pause (cut short when `signal` aborts).
   */
  async handle(err: unknown, signal: AbortSignal): Promise<void> {
    if (socketFailure(err) === "peer") return this.dropped(err);
    this.#logger.warn(`${this.#what}-failed`, {
      error: errorMessage(err),
      retry_ms: this.#backoff.nextMs,
    });
    await this.#backoff.wait(signal);
  }

  /** Counts one peer's failure (a reset), summed up in the next `-dropped` line. */
  dropped(err: unknown): void {
    this.#dropped.add(socketErrorCode(err));
  }

  /** After a success: the next pause starts small again. */
  succeeded(): void {
    this.#backoff.reset();
  }

  /** Logs what is still counted; leaves no timer. */
  [Symbol.dispose](): void {
    this.#dropped[Symbol.dispose]();
  }
}
