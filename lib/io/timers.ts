/**
 * Time limits that clean up after themselves: the {@linkcode Deadline} every
 * time limit in sockit is built on, a sleep that an `AbortSignal` cuts
 * short, a bounded wait for a promise, an idle watch that is cheap to touch
 * on every read, and back-off for retries. None leaves a timer behind once
 * disposed.
 *
 * @module
 */

/**
 * A message sent without a delimiter (the seeds' raw exec command, a
 * partial line to `tcp-echo --mode reverse`) ends when no byte comes for
 * this long: 50 ms.
 */
export const PAUSE_ENDS_MESSAGE_MS = 50;

/**
 * The one way sockit puts a time limit on an operation: a one-shot timer
 * whose `signal` aborts when `ms` have passed (calling `onExpire` too, e.g.
 * to close a socket so that a pending read fails), and which says
 * afterwards whether it fired. `remainingMs` serves loops that wait several
 * times under one limit. Disposing it disarms the timer; `Infinity` never
 * fires.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deadline } from "./timers.ts";
 * using deadline = new Deadline(60_000, () => {});
 * assert.ok(!deadline.expired && !deadline.signal.aborted && deadline.remainingMs > 0);
 * ```
 */
export class Deadline implements Disposable {
  readonly #endsAt: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expired = false;
  #controller: AbortController | undefined; // Made on first use: hot paths never pay for it.

  /** Arms the timer; `ms` of `Infinity` never fires. */
  constructor(ms: number, onExpire?: () => void) {
    this.#endsAt = performance.now() + ms;
    if (Number.isFinite(ms)) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#expired = true;
        this.#controller?.abort(new Deno.errors.TimedOut());
        onExpire?.();
      }, Math.max(0, ms));
    }
  }

  /** Aborts when the time is up. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#expired) this.#controller.abort(new Deno.errors.TimedOut());
    }
    return this.#controller.signal;
  }

  /** Whether the time ran out. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Milliseconds left, never below 0 (`Infinity` for a deadline that never fires). */
  get remainingMs(): number {
    return Math.max(0, this.#endsAt - performance.now());
  }

  /** Disarms the timer. */
  [Symbol.dispose](): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A promise that resolves once `signal` aborts (at once if it has), and a
 * disposal that takes its listener off the signal again: a long-lived
 * signal (a server's shutdown) must not gather one listener per request.
 *
 * @example
 * ```ts
 * import { whenAborted } from "./timers.ts";
 * using aborted = whenAborted(AbortSignal.abort());
 * await aborted.promise;
 * ```
 */
export function whenAborted(
  signal: AbortSignal,
): { promise: Promise<void> } & Disposable {
  let listener: (() => void) | undefined;
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    listener = () => resolve();
    signal.addEventListener("abort", listener, { once: true });
  });
  return {
    promise,
    [Symbol.dispose]: () => {
      if (listener) signal.removeEventListener("abort", listener);
    },
  };
}

/**
 * Resolves after `ms` milliseconds, or at once when `signal` aborts.
 *
 * @example
 * ```ts
 * import { sleep } from "./timers.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      deadline[Symbol.dispose]();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const deadline = new Deadline(ms, done);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Whether `promise` settles within `ms` milliseconds: `true` if it did,
 * `false` once the time is up (it is left running). Leaves no timer behind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settlesWithin } from "./timers.ts";
 * assert.ok(await settlesWithin(Promise.resolve(), 1000));
 * assert.ok(!(await settlesWithin(new Promise(() => {}), 1)));
 * ```
 */
export async function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  using deadline = new Deadline(ms);
  using expired = whenAborted(deadline.signal);
  const settled = promise.then(() => true, () => true);
  return await Promise.race([settled, expired.promise.then(() => false)]);
}

/**
 * Calls `onIdle` once when `touch()` has not been called for `ms`
 * milliseconds. Touching is a clock read, not a timer reset, so it is cheap
 * enough for every read and write.
 *
 * @example
 * ```ts
 * import { IdleWatch } from "./timers.ts";
 * using watch = new IdleWatch(60_000, () => {});
 * watch.touch();
 * ```
 */
export class IdleWatch implements Disposable {
  readonly #ms: number;
  readonly #onIdle: () => void;
  #last = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #fired = false;
  #holds = 0;

  /** Starts watching; `ms` of 0 or `Infinity` disables it. */
  constructor(ms: number, onIdle: () => void) {
    this.#ms = ms;
    this.#onIdle = onIdle;
    if (ms > 0 && Number.isFinite(ms)) this.#arm(ms);
  }

  /** Whether the idle callback ran. */
  get fired(): boolean {
    return this.#fired;
  }

  /** Records activity now. */
  touch(): void {
    this.#last = performance.now();
  }

  /** Suspends the watch until the returned handle is disposed (e.g. while a command runs). */
  hold(): Disposable {
    this.#holds++;
    let released = false;
    return {
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        this.#holds--;
        this.touch();
      },
    };
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const idleFor = performance.now() - this.#last;
      if (this.#holds > 0) {
        this.#arm(this.#ms);
      } else if (idleFor >= this.#ms) {
        this.#timer = undefined;
        this.#fired = true;
        this.#onIdle();
      } else {
        this.#arm(this.#ms - idleFor);
      }
    }, ms);
  }

  /** Stops watching. */
  [Symbol.dispose](): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Pauses that double after each failure, from `firstMs` up to `maxMs`, and
 * start over after a success: for retrying `accept()` or `receive()` after
 * an error (EMFILE) without spinning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Backoff } from "./timers.ts";
 * const backoff = new Backoff(1, 4);
 * await backoff.wait();
 * await backoff.wait();
 * assert.equal(backoff.nextMs, 4);
 * backoff.reset();
 * assert.equal(backoff.nextMs, 1);
 * ```
 */
export class Backoff {
  #nextMs: number;

  /** Starts at `firstMs` (default 5), doubling up to `maxMs` (default 1000). */
  constructor(readonly firstMs = 5, readonly maxMs = 1000) {
    this.#nextMs = firstMs;
  }

  /** The next pause, in ms. */
  get nextMs(): number {
    return this.#nextMs;
  }

  /** Waits the next pause (cut short by `signal`) and doubles it. */
  async wait(signal?: AbortSignal): Promise<void> {
    await sleep(this.#nextMs, signal);
    this.#nextMs = Math.min(this.#nextMs * 2, this.maxMs);
  }

  /** Starts over from `firstMs`. */
  reset(): void {
    this.#nextMs = this.firstMs;
  }
}
