/**
 * The UDP uppercase transform. Pure: bytes in, bytes out, and the reply is
 * never longer than the request, so the server cannot amplify traffic.
 *
 * Valid UTF-8 is uppercased character by character, except that a character
 * whose uppercase form takes more bytes than itself stays as it is (plain
 * `toUpperCase()` turns the 2-byte `ΐ` into 6 bytes and `ß` into `SS`).
 * Bytes that are not valid UTF-8 get only their ASCII letters uppercased.
 *
 * @module
 */

import { upperAsciiBytes } from "../io/bytes.ts";

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * Uppercases a datagram without ever making it longer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upperDatagram } from "./upper.ts";
 * const show = (s: string) => new TextDecoder().decode(upperDatagram(new TextEncoder().encode(s)));
 * assert.ok(show("sally") === "SALLY");
 * assert.ok(show("straße") === "STRASSE"); // ß and SS are 2 bytes each
 * assert.ok(show("ΐ") === "ΐ");
 * ```
 */
export function upperDatagram(request: Uint8Array): Uint8Array {
  // ASCII, by far the common case, in one pass: uppercase while checking.
  const out = new Uint8Array(request.length);
  for (let i = 0; i < request.length; i++) {
    const b = request[i]!;
    if (b >= 0x80) return upperText(request);
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}

/** A datagram with a byte over 0x7f: valid UTF-8 by character, else ASCII letters only. */
function upperText(request: Uint8Array): Uint8Array {
  let text: string;
  try {
    text = strictDecoder.decode(request);
  } catch {
    return upperAsciiBytes(request);
  }
  let out = "";
  for (const char of text) {
    const upper = char.toUpperCase();
    out += upper === char || utf8Length(upper) > utf8Length(char)
      ? char
      : upper;
  }
  return encoder.encode(out);
}

function utf8Length(text: string): number {
  let n = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
