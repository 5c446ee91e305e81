/**
 * A read buffer over a connection for framed protocols: fill until N bytes
 * are buffered (or EOF, or a pause), look at them, consume them. At most
 * one read is outstanding, so a wait that gave up (a pause) hands its read
 * to the next one, and the buffer is capped.
 *
 * @module
 */

import type { ByteReader } from "./streams.ts";
import { Deadline, whenAborted } from "./timers.ts";

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
  readonly #scratch = new Uint8Array(64 * 1024);
  #data = new Uint8Array(1024);
  #length = 0;
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
    return this.#length;
  }

  /** The buffered bytes (valid until the next fill or consume). */
  view(): Uint8Array {
    return this.#data.subarray(0, this.#length);
  }

  /** Drops the first `n` buffered bytes. */
  consume(n: number): void {
    this.#data.copyWithin(0, n, this.#length);
    this.#length -= n;
  }

  /** Copies out and drops the first `n` buffered bytes. */
  take(n: number): Uint8Array {
    const out = this.#data.slice(0, n);
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
    while (this.#length < n) {
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
    while (this.#length === 0 && !this.#eof && !stop.aborted) {
      await this.#readOnce(stopped);
    }
    if (this.#length > 0) return "ok";
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
    while (!this.#eof && this.#length < this.#max) {
      if ((await this.#readOnce(stopped)) === "stop") return false;
    }
    return this.#eof;
  }

  /**
   * Waits for the one outstanding read, or for `giveUp` to resolve first (a
   * pause or a stop): then the read stays outstanding for the next call, and
   * only the call that sees it complete appends its bytes.
   */
  async #readOnce<G extends string>(giveUp?: Promise<G>): Promise<"data" | G> {
    this.#pending ??= this.#reader.read(this.#scratch).catch(() => null);
    const pending = this.#pending;
    const n = await (giveUp ? Promise.race([pending, giveUp]) : pending);
    if (typeof n === "string") return n;
    this.#pending = undefined;
    if (n === null) {
      this.#eof = true;
      return "data";
    }
    this.#onRead(n);
    this.#append(this.#scratch.subarray(0, n));
    return "data";
  }

  #append(bytes: Uint8Array): void {
    const needed = this.#length + bytes.length;
    if (needed > this.#data.length) {
      const grown = new Uint8Array(
        Math.max(
          needed,
          Math.min(this.#data.length * 2, this.#max + this.#scratch.length),
        ),
      );
      grown.set(this.#data.subarray(0, this.#length));
      this.#data = grown;
    }
    this.#data.set(bytes, this.#length);
    this.#length = needed;
  }
}
