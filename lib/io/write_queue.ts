/**
 * A bounded queue in front of a writer: a write copies its bytes into a
 * staging buffer and returns while there is room, and what gathers there
 * while the last write is in flight goes out as the next one. The reader
 * feeding it keeps reading while the last write is on its way, its buffers
 * free for reuse at once, and a slow writer still stops it, at the cap.
 *
 * @module
 */

import { type ByteWriter, writeAll } from "./streams.ts";

/**
 * Writes gathered in front of a {@linkcode ByteWriter}: two buffers of
 * `maxQueued` bytes (made at the first write), one filling while the other
 * is written. A failed write fails every later call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WriteQueue } from "./write_queue.ts";
 * import { MemoryWriter } from "./memory.ts";
 * const out = new MemoryWriter();
 * const queue = new WriteQueue(out, 1024);
 * const chunk = new Uint8Array([104]);
 * await queue.write(chunk);
 * chunk[0] = 105; // The queue copied it: the buffer is free at once.
 * await queue.write(chunk);
 * await queue.flush();
 * assert.ok(out.text() === "hi");
 * ```
 */
export class WriteQueue {
  readonly #writer: ByteWriter;
  readonly #maxQueued: number;
  #buffers: [Uint8Array, Uint8Array] | undefined;
  #filling: 0 | 1 = 0;
  #staged = 0;
  #inFlight: Promise<void> | undefined;
  #failure: unknown;

  /** Gathers up to `maxQueued` bytes at a time for `writer`. */
  constructor(writer: ByteWriter, maxQueued: number) {
    this.#writer = writer;
    this.#maxQueued = maxQueued;
  }

  /** Copies `bytes` in; resolves once they are all queued (waiting while it is full). */
  async write(bytes: Uint8Array): Promise<void> {
    this.#check();
    this.#buffers ??= [
      new Uint8Array(this.#maxQueued),
      new Uint8Array(this.#maxQueued),
    ];
    let rest = bytes;
    while (rest.length > 0) {
      const room = this.#maxQueued - this.#staged;
      if (room === 0) {
        await this.#inFlight;
        this.#check();
        this.#start();
        continue;
      }
      const n = Math.min(room, rest.length);
      this.#buffers[this.#filling].set(rest.subarray(0, n), this.#staged);
      this.#staged += n;
      rest = rest.subarray(n);
      this.#start();
    }
  }

  /** Resolves once everything queued is written. */
  async flush(): Promise<void> {
    while (this.#inFlight) {
      await this.#inFlight;
      this.#start();
    }
    this.#check();
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Starts writing what is staged, unless a write is in flight. */
  #start(): void {
    if (this.#inFlight || this.#staged === 0 || !this.#buffers) return;
    const bytes = this.#buffers[this.#filling].subarray(0, this.#staged);
    this.#filling = this.#filling === 0 ? 1 : 0;
    this.#staged = 0;
    this.#inFlight = writeAll(this.#writer, bytes).then(
      () => {
        this.#inFlight = undefined;
        this.#start();
      },
      (err) => {
        this.#failure = err;
        this.#inFlight = undefined;
      },
    );
  }
}
