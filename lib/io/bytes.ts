/**
 * Byte-array helpers: joining parts into one array, a prefix test, and the
 * ASCII-only uppercase both text services fall back to for bytes that are
 * not UTF-8. Pure.
 *
 * @module
 */

/**
 * Joins `parts` into one new array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes } from "./bytes.ts";
 * assert.ok(concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]).join() === "1,2,3");
 * ```
 */
export function concatBytes(
  parts: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Whether `bytes` begins with `prefix`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startsWithBytes } from "./bytes.ts";
 * assert.ok(startsWithBytes(new Uint8Array([1, 2]), new Uint8Array([1])));
 * ```
 */
export function startsWithBytes(
  bytes: Uint8Array,
  prefix: Uint8Array,
): boolean {
  return bytes.length >= prefix.length &&
    prefix.every((b, i) => bytes[i] === b);
}

/**
 * Uppercases ASCII letters and leaves every other byte as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upperAsciiBytes } from "./bytes.ts";
 * assert.ok(upperAsciiBytes(new Uint8Array([0x61, 0xff])).join() === "65,255");
 * ```
 */
export function upperAsciiBytes(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b >= 0x61 && b <= 0x7a) out[i] = b - 0x20;
  }
  return out;
}
