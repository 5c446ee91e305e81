/**
 * The relay's faults as values: what each `--chunk`, `--delay`, `--rate`,
 * `--loss` ... means, as a value type the parser reads once (how its text
 * becomes a value and how the value is shown again), and the pure
 * decisions made from them (how to split a chunk, how long to wait, whether to drop a
 * datagram). Pure: no socket and no timer here; randomness comes from the
 * seeded generator passed in, so a `--seed` repeats a run.
 *
 * @module
 */

import type { ValueType } from "../cli/option.ts";
import { formatSize, MiB, parseSize } from "../io/units.ts";
import { type Random, randomBetween } from "../io/random.ts";

/** The largest `--chunk` size: 1 MiB. */
export const MAX_CHUNK_BYTES = MiB;
/** The longest `--delay` or `--coalesce`: 60 s. */
export const MAX_DELAY_MS = 60_000;

/** A size from `min` to `max` bytes, both included. */
export interface SizeRange {
  /** The smallest size. */
  min: number;
  /** The largest size. */
  max: number;
}

/** A delay of `ms`, give or take up to `jitterMs`. */
export interface Delay {
  /** The mean delay, in ms. */
  ms: number;
  /** The most the delay varies either way, in ms. */
  jitterMs: number;
}

/** Which way faults apply: client to target, target to client, or both. */
export type FaultDirection = "upstream" | "downstream" | "both";

/**
 * Parses `N` or `N-M` bytes (`--chunk`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSizeRange } from "./faults.ts";
 * assert.ok(parseSizeRange("1-64").max === 64 && parseSizeRange("5").min === 5);
 * ```
 */
export function parseSizeRange(raw: string): SizeRange {
  const match = raw.match(/^(\d+)(?:-(\d+))?$/);
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || !(min >= 1 && max >= min && max <= MAX_CHUNK_BYTES)) {
    throw new RangeError(
      `use a byte count or a range from 1 to ${MAX_CHUNK_BYTES}, e.g. 1 or 1-64`,
    );
  }
  return { min, max };
}

/**
 * Parses `MS` or `MS+-JITTER` milliseconds (`--delay`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDelay } from "./faults.ts";
 * assert.ok(parseDelay("50+-10").jitterMs === 10 && parseDelay("5").ms === 5);
 * ```
 */
export function parseDelay(raw: string): Delay {
  const match = raw.match(/^(\d+)(?:(?:\+-|±)(\d+))?$/);
  const ms = Number(match?.[1]);
  const jitterMs = Number(match?.[2] ?? 0);
  if (!match || !(ms <= MAX_DELAY_MS && jitterMs <= ms)) {
    throw new RangeError(
      `use milliseconds up to ${MAX_DELAY_MS}, with an optional jitter no larger, e.g. 50 or 50+-10`,
    );
  }
  return { ms, jitterMs };
}

/**
 * Parses a whole number of milliseconds up to a minute (`--coalesce`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMilliseconds } from "./faults.ts";
 * assert.ok(parseMilliseconds("50") === 50);
 * ```
 */
export function parseMilliseconds(raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(ms >= 1 && ms <= MAX_DELAY_MS)) {
    throw new RangeError(`use milliseconds from 1 to ${MAX_DELAY_MS}, e.g. 50`);
  }
  return ms;
}

/**
 * Parses a bandwidth: a byte size a second, `/s` optional (`--rate`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRate } from "./faults.ts";
 * assert.ok(parseRate("64KiB/s") === 65536 && parseRate("100") === 100);
 * ```
 */
export function parseRate(raw: string): number {
  const rate = parseSize(raw.replace(/\/s$/, ""));
  if (!(rate >= 1 && rate <= 1024 * MiB)) {
    throw new RangeError("use bytes a second, e.g. 1000 or 64KiB/s");
  }
  return rate;
}

/**
 * Parses a byte count, units allowed (`--cut-after 1MiB`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseByteCount } from "./faults.ts";
 * assert.ok(parseByteCount("1KiB") === 1024 && parseByteCount("0") === 0);
 * ```
 */
export function parseByteCount(raw: string): number {
  const bytes = parseSize(raw);
  if (!(bytes >= 0 && Number.isSafeInteger(bytes))) {
    throw new RangeError("use a byte count, e.g. 100 or 1MiB");
  }
  return bytes;
}

/**
 * Parses a probability: `0.3` or `30%` (`--loss`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProbability } from "./faults.ts";
 * assert.ok(parseProbability("30%") === 0.3 && parseProbability("0.5") === 0.5);
 * ```
 */
export function parseProbability(raw: string): number {
  const percent = raw.endsWith("%");
  const text = percent ? raw.slice(0, -1) : raw;
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(text)
    ? Number(text) / (percent ? 100 : 1)
    : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(
      "use a probability from 0 to 1, or a percentage, e.g. 0.3 or 30%",
    );
  }
  return value;
}

/** `N` or `N-M` bytes, 1 to 1 MiB (`--chunk`). */
export const SIZE_RANGE: ValueType<SizeRange> = {
  placeholder: "N[-M]",
  parse: parseSizeRange,
  show: ({ min, max }) => min === max ? `${min}` : `${min}-${max}`,
};

/** `MS` or `MS+-JITTER` milliseconds (`--delay`). */
export const DELAY: ValueType<Delay> = {
  placeholder: "MS[+-JITTER]",
  parse: parseDelay,
  show: ({ ms, jitterMs }) => jitterMs > 0 ? `${ms}+-${jitterMs}` : `${ms}`,
};

/** A whole number of milliseconds, 1 to 60,000 (`--coalesce`). */
export const MILLISECONDS: ValueType<number> = {
  placeholder: "MS",
  parse: parseMilliseconds,
  show: String,
};

/** Bytes a second (`--rate 64KiB/s`). */
export const RATE: ValueType<number> = {
  placeholder: "BYTES/s",
  parse: parseRate,
  show: (rate) => `${formatSize(rate)}/s`,
};

/** A byte count, units allowed (`--cut-after 1MiB`). */
export const BYTE_COUNT: ValueType<number> = {
  placeholder: "BYTES",
  parse: parseByteCount,
  show: formatSize,
};

/** A chance from 0 to 1, or a percentage (`--loss 30%`). */
export const PROBABILITY: ValueType<number> = {
  placeholder: "P",
  parse: parseProbability,
  show: String,
};

/**
 * The sizes `--chunk` splits `length` bytes into, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pieceSizes } from "./faults.ts";
 * import { seededRandom } from "../io/random.ts";
 * assert.ok(pieceSizes(5, { min: 2, max: 2 }, seededRandom(1)).join() === "2,2,1");
 * ```
 */
export function pieceSizes(
  length: number,
  chunk: SizeRange,
  random: Random,
): number[] {
  const sizes: number[] = [];
  for (let left = length; left > 0;) {
    const size = Math.min(left, randomBetween(random, chunk.min, chunk.max));
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * One draw of a delay: `ms` give or take up to `jitterMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { delayMs } from "./faults.ts";
 * import { seededRandom } from "../io/random.ts";
 * const ms = delayMs({ ms: 50, jitterMs: 10 }, seededRandom(1));
 * assert.ok(ms >= 40 && ms <= 60);
 * ```
 */
export function delayMs(delay: Delay, random: Random): number {
  if (delay.jitterMs === 0) return delay.ms;
  return randomBetween(
    random,
    delay.ms - delay.jitterMs,
    delay.ms + delay.jitterMs,
  );
}

/**
 * Whether the faults on a connection's direction apply, for `--faults`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appliesTo } from "./faults.ts";
 * assert.ok(appliesTo("both", "upstream") && !appliesTo("downstream", "upstream"));
 * ```
 */
export function appliesTo(
  faults: FaultDirection,
  direction: "upstream" | "downstream",
): boolean {
  return faults === "both" || faults === direction;
}
