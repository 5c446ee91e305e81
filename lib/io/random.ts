/**
 * A small seeded random number generator (mulberry32), so a run with
 * random faults can be repeated exactly with the same `--seed`. Not for
 * secrets.
 *
 * @module
 */

/** Draws numbers in [0, 1); the same seed gives the same sequence. */
export type Random = () => number;

/**
 * A generator seeded with `seed` (a 32-bit whole number).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seededRandom } from "./random.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * assert.ok(a() === b() && a() < 1);
 * ```
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole number from `min` to `max`, both included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomBetween, seededRandom } from "./random.ts";
 * const n = randomBetween(seededRandom(1), 3, 5);
 * assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
 * ```
 */
export function randomBetween(
  random: Random,
  min: number,
  max: number,
): number {
  return min + Math.floor(random() * (max - min + 1));
}
