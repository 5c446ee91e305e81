/**
 * Byte-stream helpers over Deno's `read`/`write` interface: write everything,
 * read until full, copy until EOF. `Deno.Conn` and `Deno.stdin` fit these
 * interfaces, and so do the in-memory streams in `memory.ts`.
 *
 * @module
 */

import { ReadBuffer } from "./read_buffer.ts";

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

/**
 * Writes all of `bytes`, looping over short writes. `onProgress` is told
 * each chunk's size as it goes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAll } from "./streams.ts";
 * const got: number[] = [];
 * const halfWriter = { write: (p: Uint8Array) => { got.push(...p.subarray(0, 1)); return Promise.resolve(1); } };
 * await writeAll(halfWriter, new Uint8Array([1, 2, 3]));
 * assert.ok(got.join() === "1,2,3");
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
 * Writes all of `bytes` synchronously, looping over short writes: for a
 * line that must be out before the next step (the ready line, a trace
 * entry).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAllSync } from "./streams.ts";
 * const got: number[] = [];
 * writeAllSync({ writeSync: (p) => { got.push(p[0]!); return 1; } }, new Uint8Array([1, 2]));
 * assert.deepEqual(got, [1, 2]);
 * ```
 */
export function writeAllSync(
  file: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/**
 * Copies `reader` to `writer` until EOF with one fixed buffer, so memory
 * stays bounded and a slow writer slows the reader (backpressure). Returns
 * the byte count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copy } from "./streams.ts";
 * import { MemoryReader, MemoryWriter } from "./memory.ts";
 * const out = new MemoryWriter();
 * const n = await copy(new MemoryReader(new Uint8Array(100_000)), out);
 * assert.ok(n === 100_000 && out.bytes().length === 100_000);
 * ```
 */
export async function copy(
  reader: ByteReader,
  writer: ByteWriter,
  options: { onRead?: (n: number) => void } = {},
): Promise<number> {
  const buffer = new ReadBuffer(); // Grows while reads fill it, as every pump's.
  let total = 0;
  while (true) {
    const bytes = buffer.bytes;
    const n = await reader.read(bytes);
    if (n === null) return total;
    options.onRead?.(n);
    await writeAll(writer, bytes.subarray(0, n));
    buffer.took(n);
    total += n;
  }
}

/**
 * Reads until `buffer` is full or EOF; resolves to the bytes read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFull } from "./streams.ts";
 * import { MemoryReader } from "./memory.ts";
 * const buffer = new Uint8Array(3);
 * assert.ok((await readFull(new MemoryReader(new Uint8Array([1, 2, 3, 4]), 1), buffer)) === 3);
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
 * Closes `closer`, ignoring that it was closed already.
 *
 * @example
 * ```ts
 * import { closeQuietly } from "./streams.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * closeQuietly(listener);
 * closeQuietly(listener);
 * ```
 */
export function closeQuietly(closer: { close(): void }): void {
  try {
    closer.close();
  } catch {
    // Closed already.
  }
}
