/**
 * Counting events that may come in floods (a burst of reset connections,
 * a storm of failed receives) and reporting them as one summary at most
 * once an interval, so a flood costs a counter, not a log line each.
 *
 * @module
 */

/**
 * Counts events by kind and reports the counts at most once every
 * `intervalMs`: the first event arms a timer, and when it fires the counts
 * so far are reported and cleared. Disposing reports what is left and
 * leaves no timer behind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tally } from "./tally.ts";
 * const reports: Array<Record<string, number>> = [];
 * {
 *   using tally = new Tally(1000, (counts) => reports.push(counts));
 *   tally.add("ENOTCONN");
 *   tally.add("ENOTCONN");
 *   tally.add("ECONNABORTED");
 * }
 * assert.deepEqual(reports, [{ ENOTCONN: 2, ECONNABORTED: 1 }]);
 * ```
 */
export class Tally implements Disposable {
  readonly #intervalMs: number;
  readonly #report: (counts: Record<string, number>, total: number) => void;
  #counts: Record<string, number> = {};
  #total = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Reports through `report` at most once every `intervalMs`. */
  constructor(
    intervalMs: number,
    report: (counts: Record<string, number>, total: number) => void,
  ) {
    this.#intervalMs = intervalMs;
    this.#report = report;
  }

  /** Counts one event of `kind`. */
  add(kind: string): void {
    this.#counts[kind] = (this.#counts[kind] ?? 0) + 1;
    this.#total++;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }

  /** Reports the counts now, if there are any, and starts over. */
  flush(): void {
    if (this.#total === 0) return;
    const [counts, total] = [this.#counts, this.#total];
    [this.#counts, this.#total] = [{}, 0];
    this.#report(counts, total);
  }

  /** Reports what is left and disarms the timer. */
  [Symbol.dispose](): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }
}

/**
 * Counts as one log field: `ENOTCONN:3,ECONNABORTED:1`, most first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCounts } from "./tally.ts";
 * assert.equal(formatCounts({ ECONNABORTED: 1, ENOTCONN: 3 }), "ENOTCONN:3,ECONNABORTED:1");
 * ```
 */
export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) =>
    `${k}:${n}`
  ).join(",");
}
