/**
 * Reading `\n`-terminated lines from a byte stream, with a cap on how much
 * of an unfinished line is held.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import type { ByteReader } from "./streams.ts";

/** The longest line {@linkcode LineReader} accepts: 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Reads `\n`-terminated lines from a byte stream, holding at most
 * `maxLineBytes` of an unfinished line (a longer one is a `RangeError`).
 * Lines come back without their `\n` (and without a `\r` before it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineReader } from "./lines.ts";
 * import { MemoryReader } from "./memory.ts";
 * const lines = new LineReader(new MemoryReader(new TextEncoder().encode("a\r\nb")));
 * assert.ok((await lines.readLine()) === "a");
 * assert.ok((await lines.readLine()) === "b");
 * assert.ok((await lines.readLine()) === null);
 * ```
 */
export class LineReader {
  readonly #reader: ByteReader;
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder();
  #pending = new Uint8Array(0);
  #eof = false;

  /** Wraps `reader`; a line over `maxLineBytes` (default 64 KiB) is an error. */
  constructor(reader: ByteReader, maxLineBytes = MAX_LINE_BYTES) {
    this.#reader = reader;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Resolves to the next line as text, or `null` at EOF. */
  async readLine(): Promise<string | null> {
    const bytes = await this.readLineBytes();
    return bytes === null ? null : this.#decoder.decode(bytes);
  }

  /** Resolves to the next line's bytes, or `null` at EOF. */
  async readLineBytes(): Promise<Uint8Array | null> {
    while (true) {
      const newline = this.#pending.indexOf(0x0a);
      if (newline >= 0) {
        const line = this.#pending.subarray(0, newline);
        this.#pending = this.#pending.subarray(newline + 1);
        return stripCarriageReturn(line);
      }
      if (this.#pending.length > this.#maxLineBytes) {
        throw new RangeError(`Line longer than ${this.#maxLineBytes} bytes`);
      }
      if (this.#eof) {
        if (this.#pending.length === 0) return null;
        const last = this.#pending;
        this.#pending = new Uint8Array(0);
        return stripCarriageReturn(last);
      }
      await this.#fill();
    }
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.#reader.read(chunk);
    if (n === null) {
      this.#eof = true;
      return;
    }
    this.#pending = concatBytes([this.#pending, chunk.subarray(0, n)]);
  }
}

function stripCarriageReturn(line: Uint8Array): Uint8Array {
  return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
}
