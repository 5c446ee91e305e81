/**
 * The TCP echo server's line-oriented modes, from the seed programs: `upper`
 * uppercases each line, `reverse` reverses it. Pure: bytes in, bytes out.
 * A line that is valid UTF-8 is handled as Unicode text (`reverse` keeps
 * grapheme clusters such as emoji and accented letters whole); a line that
 * is not gets the byte-level version (ASCII letters uppercased, or bytes
 * reversed).
 *
 * @module
 */

import { concatBytes, upperAsciiBytes } from "../io/bytes.ts";

/** How the TCP echo server answers: bytes as they are, or line by line. */
export type EchoMode = typeof ECHO_MODES[number];

/** The modes, for option validation and help. */
export const ECHO_MODES = ["echo", "upper", "reverse"] as const;

const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
// Made on first use: ICU's segmenter costs about 12 ms to build, which every
// command would pay at start-up otherwise.
let graphemes: Intl.Segmenter | undefined;

/**
 * Transforms one line's content (without its line ending) for a line mode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transformLine } from "./line_modes.ts";
 * const text = (s: string) => new TextEncoder().encode(s);
 * const show = (b: Uint8Array) => new TextDecoder().decode(b);
 * assert.ok(show(transformLine("upper", text("straße"))) === "STRASSE");
 * assert.ok(show(transformLine("reverse", text("abc👍🏽"))) === "👍🏽cba");
 * ```
 */
export function transformLine(
  mode: Exclude<EchoMode, "echo">,
  line: Uint8Array,
): Uint8Array {
  let text: string;
  try {
    text = strictDecoder.decode(line);
  } catch {
    return mode === "upper" ? upperAsciiBytes(line) : line.slice().reverse();
  }
  if (mode === "upper") return encoder.encode(text.toUpperCase());
  return encoder.encode(
    Array.from(
      (graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" }))
        .segment(text),
      (s) => s.segment,
    ).reverse().join(""),
  );
}

/**
 * Splits a byte stream into lines for a line mode, keeping each line's
 * ending (`\n` or `\r\n`) so replies keep the client's line endings.
 * Holds at most `maxLineBytes` of an unfinished line; more is a `RangeError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineSplitter } from "./line_modes.ts";
 * const split = new LineSplitter(16);
 * const lines = split.push(new TextEncoder().encode("ab\ncd"));
 * assert.ok(lines.length === 1 && split.flush()?.length === 2);
 * ```
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Uint8Array = new Uint8Array(0);

  /** Creates a splitter that refuses lines over `maxLineBytes`. */
  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Adds a chunk; returns the lines it completed, each with its `\n`. */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = concatBytes([this.#pending, chunk]);
    const lines: Uint8Array[] = [];
    let start = 0;
    let newline: number;
    while ((newline = data.indexOf(0x0a, start)) >= 0) {
      if (newline - start > this.#maxLineBytes) this.#tooLong();
      lines.push(data.subarray(start, newline + 1));
      start = newline + 1;
    }
    this.#pending = data.slice(start);
    if (this.#pending.length > this.#maxLineBytes) this.#tooLong();
    return lines;
  }

  /** Returns the unfinished last line at end of stream, or `null` if none. */
  flush(): Uint8Array | null {
    const rest = this.#pending;
    this.#pending = new Uint8Array(0);
    return rest.length > 0 ? rest : null;
  }

  #tooLong(): never {
    throw new RangeError(`Line longer than ${this.#maxLineBytes} bytes`);
  }
}

/**
 * Applies a line mode to one line that may end in `\n` or `\r\n`, keeping
 * the ending.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transformLineKeepingEnding } from "./line_modes.ts";
 * const out = transformLineKeepingEnding("reverse", new TextEncoder().encode("ab\r\n"));
 * assert.ok(new TextDecoder().decode(out) === "ba\r\n");
 * ```
 */
export function transformLineKeepingEnding(
  mode: Exclude<EchoMode, "echo">,
  line: Uint8Array,
): Uint8Array {
  let end = line.length;
  if (line[end - 1] === 0x0a) end--;
  if (line[end - 1] === 0x0d) end--;
  return concatBytes([
    transformLine(mode, line.subarray(0, end)),
    line.subarray(end),
  ]);
}

/**
 * Uppercases a byte stream chunk by chunk, as it arrives: `upper` needs no
 * line framing, so a client that sends `hello` without a newline gets
 * `HELLO` at once. Only an incomplete UTF-8 sequence at a chunk's end is
 * held back until its next byte comes. A chunk that is valid UTF-8 is
 * uppercased as text (`ß` becomes `SS`); one that is not gets only its
 * ASCII letters uppercased, as a line did before.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamingUpper } from "./line_modes.ts";
 * const upper = new StreamingUpper();
 * const bytes = new TextEncoder().encode("straße");
 * const first = upper.push(bytes.subarray(0, 5)); // "stra" and half of "ß"
 * const rest = upper.push(bytes.subarray(5));
 * assert.ok(new TextDecoder().decode(first) === "STRA");
 * assert.ok(new TextDecoder().decode(rest) === "SSE");
 * ```
 */
export class StreamingUpper {
  #held: Uint8Array = new Uint8Array(0);

  /** The uppercase of `chunk` and what was held, less a new incomplete tail. */
  push(chunk: Uint8Array): Uint8Array {
    const data = this.#held.length > 0
      ? concatBytes([this.#held, chunk])
      : chunk;
    const cut = data.length - incompleteTail(data);
    this.#held = data.slice(cut);
    return cut === 0 ? new Uint8Array(0) : upperChunk(data.subarray(0, cut));
  }

  /** What is still held at the end of the stream, ASCII letters uppercased. */
  flush(): Uint8Array {
    const rest = upperAsciiBytes(this.#held);
    this.#held = new Uint8Array(0);
    return rest;
  }
}

function upperChunk(bytes: Uint8Array): Uint8Array {
  try {
    return encoder.encode(strictDecoder.decode(bytes).toUpperCase());
  } catch {
    return upperAsciiBytes(bytes);
  }
}

/** How many bytes at the end of `bytes` begin a UTF-8 sequence that is not complete yet. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // A continuation byte: look further back.
    const needs = b >= 0xf0 && b <= 0xf4
      ? 4
      : b >= 0xe0 && b <= 0xef
      ? 3
      : b >= 0xc2 && b <= 0xdf
      ? 2
      : 1;
    return needs > back ? back : 0;
  }
  return 0;
}
