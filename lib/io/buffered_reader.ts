/**
 * A read buffer over a connection for framed protocols: fill until N bytes
 * are buffered (or EOF, or a pause), look at them, consume them. At most
 * one read is outstanding, so a wait that gave up (a pause) hands its read
 * to the next one, and the buffer is capped.
 *
 * @module
 */

import type { ByteReader } from "./streams.ts";
import { READ_MAX_BYTES, ReadSize } from "./read_buffer.ts";
import { Deadline, whenAborted } from "./timers.ts";

/** The first read's size, and the buffer's at first: 1 KiB (a request header fits). */
export const MIN_READ_BYTES = 1024;

/** How {@linkcode BufferedReader.fill} ended. */
export type FillResult = "ok" | "eof" | "pause";

/**
 * A capped read buffer over a byte stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedReader } from "./buffered_reader.ts";
 * import { MemoryReader } from "./memory.ts";
 * const input = new BufferedReader(new MemoryReader(new Uint8Array([1, 2, 3]), 1), 16);
 * assert.ok((await input.fill(3)) === "ok" && input.take(2).join() === "1,2");
 * ```
 */
export class BufferedReader {
  readonly #reader: ByteReader;
  readonly #max: number;
  readonly #onRead: (n: number) => void;
  #data = new Uint8Array(MIN_READ_BYTES);
  #start = 0; // The buffered bytes are #data[#start, #end).
  #end = 0;
  readonly #readSize = new ReadSize(MIN_READ_BYTES, READ_MAX_BYTES); // The one policy of every pump.
  #pending: Promise<number | null> | undefined;
  #eof = false;

  /** Buffers at most `maxBuffered` bytes of `reader`; `onRead` is told each read's size. */
  constructor(
    reader: ByteReader,
    maxBuffered: number,
    onRead: (n: number) => void = () => {},
  ) {
    this.#reader = reader;
    this.#max = maxBuffered;
    this.#onRead = onRead;
  }

  /** Bytes buffered now. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The buffered bytes (valid until the next fill or consume). */
  view(): Uint8Array {
    return this.#data.subarray(this.#start, this.#end);
  }

  /** Drops the first `n` buffered bytes. */
  consume(n: number): void {
    this.#start += Math.min(n, this.length);
    if (this.#start === this.#end && this.#pending === undefined) {
      this.#start = this.#end = 0;
    }
  }

  /** Copies out and drops the first `n` buffered bytes. */
  take(n: number): Uint8Array {
    const out = this.#data.slice(this.#start, this.#start + n);
    this.consume(n);
    return out;
  }

  /**
   * Reads until `n` bytes are buffered: `ok`; or the stream ended: `eof`; or,
   * with `pauseMs`, no byte came for that long: `pause`. A read error counts
   * as EOF.
   */
  async fill(n: number, pauseMs?: number): Promise<FillResult> {
    if (n > this.#max) {
      throw new RangeError(
        `Cannot buffer ${n} bytes: the limit is ${this.#max}`,
      );
    }
    while (this.length < n) {
      if (this.#eof) return "eof";
      if (pauseMs === undefined) {
        await this.#readOnce();
        continue;
      }
      using pause = new Deadline(pauseMs);
      using pauseOver = whenAborted(pause.signal);
      const paused = pauseOver.promise.then(() => "pause" as const);
      if ((await this.#readOnce(paused)) === "pause") return "pause";
    }
    return "ok";
  }

  /**
   * Waits until at least one byte is buffered (`ok`), the stream ends
   * (`eof`), or `stop` aborts and no byte arrives within `lingerMs` more
   * (`stopped`; a read stays outstanding). Lets a server waiting between
   * requests leave at shutdown without dropping a request already sent.
   */
  async waitForData(
    stop: AbortSignal,
    lingerMs = 50,
  ): Promise<FillResult | "stopped"> {
    using stopping = whenAborted(stop);
    const stopped = stopping.promise.then(() => "stop" as const);
    while (this.length === 0 && !this.#eof && !stop.aborted) {
      await this.#readOnce(stopped);
    }
    if (this.length > 0) return "ok";
    if (this.#eof) return "eof";
    // Stopping: a request already on its way (in the socket buffer) is still taken.
    const last = await this.fill(1, lingerMs);
    return last === "pause" ? "stopped" : last;
  }

  /**
   * Keeps reading into the buffer (up to its cap) until the stream ends or
   * `stop` aborts; resolves `true` at EOF, `false` when stopped or full. Used
   * to notice a client going away while its command runs.
   */
  async watchForEof(stop: AbortSignal): Promise<boolean> {
    using stopping = whenAborted(stop);
    const stopped = stopping.promise.then(() => "stop" as const);
    while (!this.#eof && this.length < this.#max) {
      if ((await this.#readOnce(stopped)) === "stop") return false;
    }
    return this.#eof;
  }

  /**
   * Waits for the one outstanding read, or for `giveUp` to resolve first (a
   * pause or a stop): then the read stays outstanding for the next call, and
   * only the call that sees it complete counts its bytes. The read goes
   * straight into the buffer, past the bytes already there.
   */
  async #readOnce<G extends string>(giveUp?: Promise<G>): Promise<"data" | G> {
    this.#pending ??= this.#reader.read(this.#room()).catch(() => null);
    const pending = this.#pending;
    const n = await (giveUp ? Promise.race([pending, giveUp]) : pending);
    if (typeof n === "string") return n;
    this.#pending = undefined;
    if (n === null) {
      this.#eof = true;
      return "data";
    }
    this.#onRead(n);
    this.#end += n;
    this.#readSize.took(n); // A stream reads more at once; a quiet one less again.
    return "data";
  }

  /**
   * The free space the next read goes into: at least the read size, made
   * by moving the buffered bytes to the front or by a larger buffer (never
   * more than the cap plus one read).
   */
  #room(): Uint8Array {
    if (this.length === 0 && this.#data.length > 4 * this.#readSize.bytes) {
      this.#data = new Uint8Array(this.#readSize.bytes); // Quiet again: give the memory back.
      this.#start = this.#end = 0;
    }
    if (this.#data.length - this.#end < this.#readSize.bytes) {
      const length = this.length;
      const wanted = Math.min(
        length + this.#readSize.bytes,
        this.#max + this.#readSize.bytes,
      );
      if (wanted > this.#data.length) {
        const grown = new Uint8Array(
          Math.max(wanted, Math.min(this.#data.length * 2, this.#max)),
        );
        grown.set(this.view());
        this.#data = grown;
      } else {
        this.#data.copyWithin(0, this.#start, this.#end);
      }
      [this.#start, this.#end] = [0, length];
    }
    return this.#data.subarray(this.#end, this.#end + this.#readSize.bytes);
  }
}
