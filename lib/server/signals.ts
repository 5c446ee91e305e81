/**
 * Turning SIGINT and SIGTERM into an `AbortSignal`, so servers can stop
 * accepting and finish in-flight work before they exit; a second signal
 * aborts `force`, to end that grace period at once.
 *
 * @module
 */

const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * An `AbortController` that aborts on SIGINT or SIGTERM while it lives, and
 * a second one that aborts on the next such signal. Disposing it removes the
 * signal listeners. On Windows only SIGINT exists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ShutdownSignal } from "./signals.ts";
 * using shutdown = new ShutdownSignal();
 * assert.ok(!shutdown.signal.aborted);
 * ```
 */
export class ShutdownSignal implements Disposable {
  readonly #controller = new AbortController();
  readonly #force = new AbortController();
  readonly #listeners: Array<[Deno.Signal, () => void]> = [];

  /** Listens for SIGINT and SIGTERM. */
  constructor() {
    for (const name of SHUTDOWN_SIGNALS) {
      const listener = () =>
        this.#controller.signal.aborted
          ? this.#force.abort(name)
          : this.#controller.abort(name);
      try {
        Deno.addSignalListener(name, listener);
        this.#listeners.push([name, listener]);
      } catch {
        // This OS has no such signal (SIGTERM on Windows).
      }
    }
  }

  /** Aborts when a shutdown signal arrives; `reason` is the signal's name. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts when a second shutdown signal arrives: stop waiting for in-flight work. */
  get force(): AbortSignal {
    return this.#force.signal;
  }

  /** Stops listening. */
  [Symbol.dispose](): void {
    for (const [name, listener] of this.#listeners) {
      Deno.removeSignalListener(name, listener);
    }
    this.#listeners.length = 0;
  }
}

/** Signal numbers on Linux, for `128 + N` exit codes. */
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

/**
 * A signal's number on Linux (`SIGTERM` is 15), for `128 + N` exit codes;
 * `undefined` for one sockit does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signalNumber } from "./signals.ts";
 * assert.ok(signalNumber("SIGKILL") === 9 && signalNumber("SIGNOPE") === undefined);
 * ```
 */
export function signalNumber(signal: string): number | undefined {
  return SIGNAL_NUMBERS[signal];
}
