/**
 * Finds a secret in JSON as it streams past: the bytes of the value of one
 * top-level key (exec's `"token"`), byte by byte, without waiting for the
 * object to end, so a trace can hide them in a chunk that holds only part of
 * the header. Pure and incremental; keeps a key of at most 256 bytes, and
 * decodes it as JSON does, so `"tok\u0065n"` is `token` too. Nesting is
 * counted, never walked.
 *
 * @module
 */

/** Keys longer than this (raw bytes) are not the secret's key: 256. */
const MAX_KEY_BYTES = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Scans one JSON object, fed in pieces, and says which bytes belong to the
 * value of the top-level key `key`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JsonSecretScanner } from "./json_secret_scanner.ts";
 * const text = '{"cmd":"ls","token":"s3cret"}';
 * const scanner = new JsonSecretScanner("token");
 * const bytes = new TextEncoder().encode(text);
 * const hidden = scanner.scan(bytes.subarray(0, 22)).concat(scanner.scan(bytes.subarray(22)).map(([a, b]) => [a + 22, b + 22] as [number, number]));
 * const shown = [...text].map((c, i) => hidden.some(([a, b]) => i >= a && i < b) ? "*" : c).join("");
 * assert.equal(shown, '{"cmd":"ls","token":********}');
 * ```
 */
export class JsonSecretScanner {
  readonly #key: string;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** At depth 1: a key is next (after `{` or `,`), or its value (after `:`). */
  #expect: "key" | "colon" | "value" | "none" = "none";
  #keyBytes: number[] | null = null;
  #keyTooLong = false;
  #keyMatches = false;
  #inSecret = false;

  /** Watches for the value of the top-level `key`. */
  constructor(key: string) {
    this.#key = key;
  }

  /**
   * Feeds the next bytes; returns the ranges `[start, end)` of them that
   * belong to the secret value.
   */
  scan(bytes: Uint8Array): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    let start = -1;
    for (let i = 0; i < bytes.length; i++) {
      const secret = this.#step(bytes[i]!);
      if (secret && start < 0) start = i;
      if (!secret && start >= 0) {
        ranges.push([start, i]);
        start = -1;
      }
    }
    if (start >= 0) ranges.push([start, bytes.length]);
    return ranges;
  }

  /** Takes one byte; says whether it is part of the secret. */
  #step(byte: number): boolean {
    if (this.#inString) return this.#stringByte(byte);
    if (
      this.#inSecret && this.#depth === 1 &&
      (byte === COMMA || byte === CLOSE_OBJECT)
    ) {
      this.#inSecret = false;
    }
    const secret = this.#inSecret;
    switch (byte) {
      case QUOTE:
        this.#inString = true;
        if (this.#depth === 1 && this.#expect === "key") {
          this.#keyBytes = [];
          this.#keyTooLong = false;
        }
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        this.#depth++;
        if (this.#depth === 1) this.#expect = "key";
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        this.#depth = Math.max(0, this.#depth - 1);
        break;
      case COLON:
        if (this.#depth === 1 && this.#expect === "colon") {
          this.#expect = "value";
          this.#inSecret = this.#keyMatches;
          return secret;
        }
        break;
      case COMMA:
        if (this.#depth === 1) this.#expect = "key";
        break;
    }
    return secret;
  }

  #stringByte(byte: number): boolean {
    const secret = this.#inSecret;
    if (this.#escaped) {
      this.#escaped = false;
    } else if (byte === BACKSLASH) {
      this.#escaped = true;
    } else if (byte === QUOTE) {
      this.#inString = false;
      if (this.#keyBytes) this.#endKey();
      return secret;
    }
    if (this.#keyBytes) {
      if (this.#keyBytes.length < MAX_KEY_BYTES) this.#keyBytes.push(byte);
      else this.#keyTooLong = true;
    }
    return secret;
  }

  #endKey(): void {
    const raw = this.#keyBytes!;
    this.#keyBytes = null;
    this.#expect = "colon";
    this.#keyMatches = false;
    if (this.#keyTooLong) return;
    try {
      const text = new TextDecoder().decode(new Uint8Array(raw));
      this.#keyMatches = JSON.parse(`"${text}"`) === this.#key;
    } catch {
      this.#keyMatches = false;
    }
  }
}
