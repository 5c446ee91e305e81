/**
 * In-memory byte streams: readers over fixed or pushed bytes, and writers
 * that keep what they are given. The demo drives its clients through them
 * as a user would type; tests use them too.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import type { ByteReader, ByteWriter } from "./streams.ts";

/**
 * An in-memory {@linkcode ByteReader} over fixed bytes, handing out at most
 * `chunkSize` bytes per read (1 forces the slowest possible reader).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryReader } from "./memory.ts";
 * const r = new MemoryReader(new Uint8Array([1, 2]), 1);
 * const buf = new Uint8Array(8);
 * assert.ok((await r.read(buf)) === 1);
 * ```
 */
export class MemoryReader implements ByteReader {
  #bytes: Uint8Array;
  readonly #chunkSize: number;

  /** Serves `bytes`, `chunkSize` at a time at most. */
  constructor(bytes: Uint8Array, chunkSize = Infinity) {
    this.#bytes = bytes;
    this.#chunkSize = chunkSize;
  }

  /** Copies the next bytes into `p`. */
  read(p: Uint8Array): Promise<number | null> {
    if (this.#bytes.length === 0) return Promise.resolve(null);
    const n = Math.min(p.length, this.#bytes.length, this.#chunkSize);
    p.set(this.#bytes.subarray(0, n));
    this.#bytes = this.#bytes.subarray(n);
    return Promise.resolve(n);
  }
}

/**
 * An in-memory {@linkcode ByteWriter} that keeps what it is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryWriter } from "./memory.ts";
 * const w = new MemoryWriter();
 * await w.write(new TextEncoder().encode("hi"));
 * assert.ok(w.text() === "hi");
 * ```
 */
export class MemoryWriter implements ByteWriter {
  readonly #chunks: Uint8Array[] = [];

  /** Keeps a copy of `p`. */
  write(p: Uint8Array): Promise<number> {
    this.#chunks.push(p.slice());
    return Promise.resolve(p.length);
  }

  /** Everything written so far. */
  bytes(): Uint8Array {
    return concatBytes(this.#chunks);
  }

  /** Everything written so far, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/**
 * A {@linkcode ByteReader} fed over time: `push()` text or bytes, `close()`
 * for EOF. Reads wait for data. Lets the demo type into a client as a user
 * would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueueReader } from "./memory.ts";
 * const r = new QueueReader();
 * r.push("hi");
 * r.close();
 * assert.ok((await r.read(new Uint8Array(8))) === 2);
 * ```
 */
export class QueueReader implements ByteReader {
  #chunks: Uint8Array[] = [];
  #closed = false;
  #wake: (() => void) | undefined;

  /** Queues bytes (text is UTF-8 encoded). */
  push(data: string | Uint8Array): void {
    this.#chunks.push(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
    this.#wake?.();
  }

  /** Ends the stream once the queue is read. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Waits for queued bytes, or `null` once closed and empty. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
    const chunk = this.#chunks[0]!;
    const n = Math.min(p.length, chunk.length);
    p.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    return n;
  }
}

/**
 * A {@linkcode MemoryWriter} that can wait for text to appear in what it
 * was given.
 *
 * @example
 * ```ts
 * import { WatchedWriter } from "./memory.ts";
 * const w = new WatchedWriter();
 * const seen = w.waitFor(/hi/);
 * await w.write(new TextEncoder().encode("hi"));
 * await seen;
 * ```
 */
export class WatchedWriter extends MemoryWriter {
  #waiters: Array<{ re: RegExp; resolve: () => void }> = [];

  /** Keeps `p` and wakes waiters whose pattern now matches. */
  override async write(p: Uint8Array): Promise<number> {
    const n = await super.write(p);
    const text = this.text();
    this.#waiters = this.#waiters.filter((w) =>
      !(w.re.test(text) && (w.resolve(), true))
    );
    return n;
  }

  /** Resolves once the text written so far matches `re`. */
  waitFor(re: RegExp): Promise<void> {
    if (re.test(this.text())) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ re, resolve }));
  }
}
