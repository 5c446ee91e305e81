/**
 * The exec server's shared-token check: constant-time comparison, and a
 * growing delay for an address that keeps failing, so guessing is slow.
 * Tokens never leave this module in a log or an error message.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Holds the server's token (if any) and checks candidates in constant time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const check = new TokenCheck("s3cret");
 * assert.ok(check.required && check.accepts("s3cret") && !check.accepts("guess"));
 * assert.ok(!new TokenCheck(undefined).required);
 * ```
 */
export class TokenCheck {
  readonly #digest: Uint8Array | undefined;

  /** A check for `token`; `undefined` means none is required. */
  constructor(token: string | undefined) {
    this.#digest = token === undefined ? undefined : digest(token);
  }

  /** Whether requests must carry the token. */
  get required(): boolean {
    return this.#digest !== undefined;
  }

  /** Whether `candidate` is the token (always true when none is required). */
  accepts(candidate: string | undefined): boolean {
    if (!this.#digest) return true;
    return timingSafeEqual(this.#digest, digest(candidate ?? ""));
  }
}

function digest(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

/** Addresses whose failed tokens are remembered: 4096. */
export const MAX_FAILURE_ADDRESSES = 4096;
/** The delay after an address's first failed token, in ms: 100, doubling. */
export const FIRST_FAILURE_DELAY_MS = 100;
/** The longest delay after failed tokens, in ms: 5 s. */
export const MAX_FAILURE_DELAY_MS = 5000;

/**
 * Delays replies to an address after failed attempts: 100 ms after the
 * first, doubling, at most 5 s; a success forgets the address. Bounded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const delay = new FailureDelay();
 * assert.ok(delay.recordFailure("10.0.0.1") === 100 && delay.recordFailure("10.0.0.1") === 200);
 * ```
 */
export class FailureDelay {
  readonly #failures = new Map<string, number>();

  /** Tracks at most `maxAddresses` addresses. */
  constructor(
    readonly maxAddresses = MAX_FAILURE_ADDRESSES,
    readonly maxDelayMs = MAX_FAILURE_DELAY_MS,
  ) {}

  /** Counts a failure; returns how long to wait before replying, in ms. */
  recordFailure(address: string): number {
    const count = (this.#failures.get(address) ?? 0) + 1;
    this.#failures.delete(address);
    this.#failures.set(address, count);
    if (this.#failures.size > this.maxAddresses) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    return Math.min(
      FIRST_FAILURE_DELAY_MS * 2 ** (count - 1),
      this.maxDelayMs,
    );
  }

  /** Forgets an address's failures. */
  recordSuccess(address: string): void {
    this.#failures.delete(address);
  }
}
