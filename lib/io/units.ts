/**
 * Sizes and durations as people write them: `16MiB`, `0.5 s`. Pure.
 *
 * @module
 */

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** One mebibyte, for writing sizes in code: `16 * MiB`. */
export const MiB = 1024 * 1024;

/**
 * Parses a byte size: a whole number with an optional `KiB`, `MiB` or
 * `GiB` (any case); `NaN` if it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./units.ts";
 * assert.ok(parseSize("16MiB") === 16 * 1024 * 1024 && parseSize("100") === 100);
 * assert.ok(Number.isNaN(parseSize("1.5MB")));
 * ```
 */
export function parseSize(raw: string): number {
  const match = raw.trim().match(/^(\d+)\s*([a-z]*)$/i);
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "x"];
  return match && unit ? Number(match[1]) * unit : NaN;
}

/**
 * Writes a byte size with the largest whole binary unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSize } from "./units.ts";
 * assert.ok(formatSize(16 * 1024 * 1024) === "16MiB" && formatSize(1000) === "1000B");
 * ```
 */
export function formatSize(bytes: number): string {
  const units = [["GiB", 1024 ** 3], ["MiB", MiB], ["KiB", 1024]] as const;
  for (const [unit, size] of units) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * A size as prose writes it, with a space before the unit: `64 KiB`,
 * `1000B` (help texts and the limits table).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSizeInProse } from "./units.ts";
 * assert.ok(formatSizeInProse(64 * 1024) === "64 KiB" && formatSizeInProse(1000) === "1000B");
 * ```
 */
export function formatSizeInProse(bytes: number): string {
  return formatSize(bytes).replace(/^(\d+)([KMG]iB)$/, "$1 $2");
}

/**
 * Writes a duration in ms as seconds for messages: `10 s`, `0.5 s`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSeconds } from "./units.ts";
 * assert.ok(formatSeconds(500) === "0.5 s");
 * ```
 */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
