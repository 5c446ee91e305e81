/**
 * Bytes as `hexdump -C` prints them: an 8-digit hex offset, 16 bytes a row
 * in hex (a gap after the eighth), and the printable ASCII characters
 * between bars, a dot for anything else. Pure: bytes in, lines out.
 *
 * @module
 */

/** Bytes shown on one row. */
export const BYTES_PER_ROW = 16;

const HEX = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);

/**
 * The rows `hexdump -C` prints for `bytes`, without its final offset line;
 * `offset` numbers the first byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hexdumpRows } from "./hexdump.ts";
 * const [row] = hexdumpRows(new TextEncoder().encode("hi\n"));
 * assert.ok(row === "00000000  68 69 0a" + " ".repeat(42) + "|hi.|");
 * ```
 */
export function hexdumpRows(bytes: Uint8Array, offset = 0): string[] {
  const rows: string[] = [];
  for (let start = 0; start < bytes.length; start += BYTES_PER_ROW) {
    const row = bytes.subarray(start, start + BYTES_PER_ROW);
    let hex = "";
    let text = "";
    for (let i = 0; i < BYTES_PER_ROW; i++) {
      const byte = row[i];
      hex += (i === 8 ? "  " : " ") + (byte === undefined ? "  " : HEX[byte]);
      if (byte !== undefined) text += printable(byte);
    }
    const at = (offset + start).toString(16).padStart(8, "0");
    rows.push(`${at} ${hex}  |${text}|`);
  }
  return rows;
}

/**
 * A byte as `hexdump -C` shows it beside the hex: itself when printable
 * ASCII, a dot otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printable } from "./hexdump.ts";
 * assert.ok(printable(0x41) === "A" && printable(0) === ".");
 * ```
 */
export function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
}
