/**
 * A cap on how many commands run at once, with a bounded queue behind it:
 * a request gets a slot, waits in line, or is told the server is busy.
 *
 * @module
 */

/** Gives back a slot. */
export type Release = () => void;

/**
 * Counting semaphore with a bounded wait queue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobSlots } from "./job_slots.ts";
 * const slots = new JobSlots(1, 0);
 * const release = await slots.acquire();
 * assert.ok(release !== null && (await slots.acquire()) === null);
 * release!();
 * ```
 */
export class JobSlots {
  readonly #max: number;
  readonly #queueMax: number;
  #running = 0;
  readonly #waiting: Array<(release: Release | null) => void> = [];

  /** `max` at once, `queueMax` waiting. */
  constructor(max: number, queueMax: number) {
    this.#max = max;
    this.#queueMax = queueMax;
  }

  /** Commands running now. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A slot: at once, after waiting, or `null` when the queue is full (busy)
   * or `signal` aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<Release | null> {
    if (this.#running < this.#max) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.#queueMax || signal?.aborted) {
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const waiter = (release: Release | null) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(null);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next(this.#releaser());
      else this.#running--;
    };
  }
}
