/**
 * The one buffer policy of every byte pump (the echo, the relay, listen):
 * start small, so an idle or chatty connection stays cheap; grow while
 * reads fill the buffer, since a stream then moves more per read; shrink
 * back once the connection goes quiet, so memory per connection stays
 * bounded by what it is doing now.
 *
 * @module
 */

/** A connection's first buffer: 2 KiB. */
export const READ_START_BYTES = 2 * 1024;
/** The most a streaming connection's buffer grows to unless told: 256 KiB. */
export const READ_MAX_BYTES = 256 * 1024;
/** Reads under a quarter of the buffer in a row before it halves: 8. */
export const QUIET_READS = 8;

/**
 * The policy alone: how large the next read should be, given how the last
 * ones went. {@linkcode ReadBuffer} holds a buffer of that size; the framed
 * reader (`buffered_reader.ts`) reads that much past what it holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadSize } from "./read_buffer.ts";
 * const size = new ReadSize(1024, 4096);
 * size.took(1024);
 * assert.ok(size.bytes === 4096);
 * ```
 */
export class ReadSize {
  /** The size of the next read. */
  bytes: number;
  readonly #min: number;
  readonly #max: number;
  #quiet = 0;

  readonly #limit: (() => number) | undefined;

  /** Starts at `min` bytes and never grows past `max` (nor past `limit()`, when given). */
  constructor(
    min = READ_START_BYTES,
    max = READ_MAX_BYTES,
    limit?: () => number,
  ) {
    this.#min = min;
    this.#max = Math.max(min, max);
    this.#limit = limit;
    this.bytes = min;
  }

  /**
   * Records a read of `n` bytes: a full one makes the next four times
   * larger (to the cap); {@linkcode QUIET_READS} reads in a row under a
   * quarter of it halve it (to the start size). Returns whether it changed.
   */
  took(n: number): boolean {
    const size = this.bytes;
    // The limit is asked only of a full read: the hot path of a steady stream skips it.
    const max = n >= size
      ? Math.min(this.#max, this.#limit?.() ?? Infinity)
      : this.#max;
    if (n >= size && size < max) {
      this.bytes = Math.min(size * 4, max);
      this.#quiet = 0;
    } else if (n < size / 4 && size > this.#min) {
      if (++this.#quiet >= QUIET_READS) {
        this.bytes = Math.max(size / 2, this.#min);
        this.#quiet = 0;
      }
    } else this.#quiet = 0;
    return this.bytes !== size;
  }
}

/**
 * A read buffer that follows its connection ({@linkcode ReadSize}'s
 * policy): {@linkcode ReadBuffer.bytes} to read into,
 * {@linkcode ReadBuffer.took} after each read (and after what was read is
 * used: the buffer may be replaced).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadBuffer } from "./read_buffer.ts";
 * const buffer = new ReadBuffer(1024, 16 * 1024);
 * buffer.took(1024); // Full: it grows.
 * const grown = buffer.bytes.length;
 * for (let i = 0; i < 8; i++) buffer.took(10); // Quiet: it shrinks.
 * assert.ok(grown === 4096 && buffer.bytes.length === 2048);
 * ```
 */
export class ReadBuffer {
  readonly #size: ReadSize;
  #bytes: Uint8Array;

  /** Starts at `min` bytes and never grows past `max` (nor past `limit()`). */
  constructor(
    min = READ_START_BYTES,
    max = READ_MAX_BYTES,
    limit?: () => number,
  ) {
    this.#size = new ReadSize(min, max, limit);
    this.#bytes = new Uint8Array(this.#size.bytes);
  }

  /** The buffer to read into now. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Records a read of `n` bytes; the buffer is replaced when its size changes. */
  took(n: number): void {
    if (this.#size.took(n)) this.#bytes = new Uint8Array(this.#size.bytes);
  }
}
