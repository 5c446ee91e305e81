/**
 * Byte-stream helpers over Deno's `read`/`write` interface: write everything,
 * read lines with a length cap, copy until EOF. `Deno.Conn` and `Deno.stdin`
 * fit these interfaces, and so do the in-memory streams the demo uses.
 *
 * @module
 */

/** Something to read bytes from; `null` means end of stream. */
export interface ByteReader {
  /** Reads into `p`, resolving to the byte count, or `null` at EOF. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Something to write bytes to; a write may take only part of the buffer. */
export interface ByteWriter {
  /** Writes some prefix of `p`, resolving to its length. */
  write(p: Uint8Array): Promise<number>;
}

/** The longest line {@linkcode LineReader} accepts: 64 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Writes all of `bytes`, looping over short writes. `onProgress` is told
 * each chunk's size as it goes.
 *
 * @example
 * ```ts
 * import { writeAll } from "./streams.ts";
 * const got: number[] = [];
 * const halfWriter = { write: (p: Uint8Array) => { got.push(...p.subarray(0, 1)); return Promise.resolve(1); } };
 * await writeAll(halfWriter, new Uint8Array([1, 2, 3]));
 * console.assert(got.join() === "1,2,3");
 * ```
 */
export async function writeAll(
  writer: ByteWriter,
  bytes: Uint8Array,
  onProgress?: (n: number) => void,
): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = await writer.write(bytes.subarray(done));
    done += n;
    onProgress?.(n);
  }
}

/**
 * Copies `reader` to `writer` until EOF with one fixed buffer, so memory
 * stays bounded and a slow writer slows the reader (backpressure). Returns
 * the byte count.
 *
 * @example
 * ```ts
 * import { copy, MemoryReader, MemoryWriter } from "./streams.ts";
 * const out = new MemoryWriter();
 * const n = await copy(new MemoryReader(new Uint8Array(100_000)), out);
 * console.assert(n === 100_000 && out.bytes().length === 100_000);
 * ```
 */
export async function copy(
  reader: ByteReader,
  writer: ByteWriter,
  options: { bufferSize?: number; onRead?: (n: number) => void } = {},
): Promise<number> {
  const buffer = new Uint8Array(options.bufferSize ?? 64 * 1024);
  let total = 0;
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) return total;
    options.onRead?.(n);
    await writeAll(writer, buffer.subarray(0, n));
    total += n;
  }
}

/**
 * Reads `\n`-terminated lines from a byte stream, holding at most
 * `maxLineBytes` of an unfinished line (a longer one is a `RangeError`).
 * Lines come back without their `\n` (and without a `\r` before it).
 *
 * @example
 * ```ts
 * import { LineReader, MemoryReader } from "./streams.ts";
 * const lines = new LineReader(new MemoryReader(new TextEncoder().encode("a\r\nb")));
 * console.assert((await lines.readLine()) === "a");
 * console.assert((await lines.readLine()) === "b");
 * console.assert((await lines.readLine()) === null);
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
    const joined = new Uint8Array(this.#pending.length + n);
    joined.set(this.#pending);
    joined.set(chunk.subarray(0, n), this.#pending.length);
    this.#pending = joined;
  }
}

function stripCarriageReturn(line: Uint8Array): Uint8Array {
  return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
}

/**
 * An in-memory {@linkcode ByteReader} over fixed bytes, handing out at most
 * `chunkSize` bytes per read (1 forces the slowest possible reader).
 *
 * @example
 * ```ts
 * import { MemoryReader } from "./streams.ts";
 * const r = new MemoryReader(new Uint8Array([1, 2]), 1);
 * const buf = new Uint8Array(8);
 * console.assert((await r.read(buf)) === 1);
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
 * import { MemoryWriter } from "./streams.ts";
 * const w = new MemoryWriter();
 * await w.write(new TextEncoder().encode("hi"));
 * console.assert(w.text() === "hi");
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
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /** Everything written so far, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/**
 * Reads until `buffer` is full or EOF; resolves to the bytes read.
 *
 * @example
 * ```ts
 * import { MemoryReader, readFull } from "./streams.ts";
 * const buffer = new Uint8Array(3);
 * console.assert((await readFull(new MemoryReader(new Uint8Array([1, 2, 3, 4]), 1), buffer)) === 3);
 * ```
 */
export async function readFull(
  reader: ByteReader,
  buffer: Uint8Array,
): Promise<number> {
  let got = 0;
  while (got < buffer.length) {
    const n = await reader.read(buffer.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got;
}

/**
 * A {@linkcode ByteReader} fed over time: `push()` text or bytes, `close()`
 * for EOF. Reads wait for data. Lets the demo type into a client as a user
 * would.
 *
 * @example
 * ```ts
 * import { QueueReader } from "./streams.ts";
 * const r = new QueueReader();
 * r.push("hi");
 * r.close();
 * console.assert((await r.read(new Uint8Array(8))) === 2);
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
 * import { WatchedWriter } from "./streams.ts";
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
