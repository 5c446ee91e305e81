/**
 * A latency histogram with fixed memory: 1 µs buckets below 1 ms, 100 µs
 * buckets below 1 s, 10 ms buckets up to 120 s (longer is counted as 120 s).
 * Percentiles are read from the buckets, so a reported value is at most one
 * bucket width below the true one. Pure: no clock is read here.
 *
 * @module
 */

const FINE_US = 1000;
const MID_US = 1_000_000;
/** The longest latency the histogram counts, in µs: 120 s. */
export const MAX_US = 120_000_000;
const MID_STEP = 100;
const COARSE_STEP = 10_000;
const MID_BUCKETS = (MID_US - FINE_US) / MID_STEP;
/** The histogram's counters: about 23,000. */
export const BUCKETS = FINE_US + MID_BUCKETS + (MAX_US - MID_US) / COARSE_STEP +
  1;

/**
 * Counts latencies into buckets; about 23,000 counters whatever the number
 * of samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LatencyHistogram } from "./latency.ts";
 * const h = new LatencyHistogram();
 * for (let ms = 1; ms <= 100; ms++) h.record(ms);
 * assert.ok(h.count === 100 && h.percentile(0.5) === 50 && h.max === 100);
 * ```
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #maxUs = 0;

  /** Samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** The largest sample, in ms (exact up to 120 s). */
  get max(): number {
    return this.#maxUs / 1000;
  }

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const us = Math.max(0, Math.min(MAX_US, Math.round(ms * 1000)));
    this.#counts[bucketOf(us)]!++;
    this.#count++;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** Adds another histogram's samples to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
  }

  /**
   * The latency in ms below which a share `p` (0 to 1) of the samples fall:
   * the smallest bucket holding the sample ranked `ceil(p * count)`. 0 when
   * empty.
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(lowerBoundUs(i), this.#maxUs) / 1000;
    }
    return this.max;
  }
}

function bucketOf(us: number): number {
  if (us < FINE_US) return us;
  if (us < MID_US) return FINE_US + Math.floor((us - FINE_US) / MID_STEP);
  return FINE_US + MID_BUCKETS + Math.floor((us - MID_US) / COARSE_STEP);
}

function lowerBoundUs(bucket: number): number {
  if (bucket < FINE_US) return bucket;
  if (bucket < FINE_US + MID_BUCKETS) {
    return FINE_US + (bucket - FINE_US) * MID_STEP;
  }
  return MID_US + (bucket - FINE_US - MID_BUCKETS) * COARSE_STEP;
}
