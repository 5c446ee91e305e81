/**
 * A bounded queue in front of a writer: a write returns as soon as its
 * bytes are queued, while fewer than a cap are; chunks that queue up while
 * a write is in flight go out together in the next one. The reader feeding
 * it keeps reading while the last write is on its way, and a slow writer
 * still stops it, at the cap.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import { type ByteWriter, writeAll } from "./streams.ts";

/**
 * Writes queued in front of a {@linkcode ByteWriter}, at most `maxQueued`
 * bytes of them. A chunk handed to {@linkcode WriteQueue.write} must not be
 * changed afterwards. A failed write fails every later call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WriteQueue } from "./write_queue.ts";
 * import { MemoryWriter } from "./memory.ts";
 * const out = new MemoryWriter();
 * const queue = new WriteQueue(out, 1024);
 * await queue.write(new Uint8Array([104]));
 * await queue.write(new Uint8Array([105]));
 * await queue.flush();
 * assert.ok(out.text() === "hi");
 * ```
 */
export class WriteQueue {
  readonly #writer: ByteWriter;
  readonly #maxQueued: number;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #flushing: Promise<void> | undefined;
  #failure: unknown;
  #written: Array<() => void> = [];

  /** Queues up to `maxQueued` bytes for `writer`. */
  constructor(writer: ByteWriter, maxQueued: number) {
    this.#writer = writer;
    this.#maxQueued = maxQueued;
  }

  /** Queues `bytes`; resolves once fewer than the cap are queued. */
  async write(bytes: Uint8Array): Promise<void> {
    this.#check();
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#queued += bytes.length;
    this.#flushing ??= this.#drain();
    while (this.#queued > this.#maxQueued && this.#failure === undefined) {
      await new Promise<void>((resolve) => this.#written.push(resolve));
    }
    this.#check();
  }

  /** Resolves once everything queued is written. */
  async flush(): Promise<void> {
    await this.#flushing;
    this.#check();
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#chunks.length > 0) {
        const chunks = this.#chunks;
        this.#chunks = [];
        const bytes = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
        await writeAll(this.#writer, bytes);
        this.#queued -= bytes.length;
        this.#wake();
      }
    } catch (err) {
      this.#failure = err;
      this.#wake();
    } finally {
      this.#flushing = undefined;
    }
  }

  #wake(): void {
    const waiting = this.#written;
    this.#written = [];
    for (const resolve of waiting) resolve();
  }
}
