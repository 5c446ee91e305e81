/**
 * The exec connection layer both ends share (as mini-redis's
 * `connection.rs`): read one header frame, read a body of a known size,
 * write a header frame with its body. The framing loop exists here only;
 * the server, the client and `sockit bench exec` all speak through it.
 *
 * @module
 */

import { concatBytes } from "../io/bytes.ts";
import { BufferedReader } from "../io/buffered_reader.ts";
import { type ByteReader, type ByteWriter, writeAll } from "../io/streams.ts";
import {
  decodeHeader,
  encodeHeader,
  encodeHeaderBefore,
  MAX_HEADER_BYTES,
  PREFIX_BYTES,
} from "./frame.ts";

/** A frame and its body up to this size go out in one write (a full chunk frame does): 128 KiB. */
export const COALESCE_WRITE_BYTES = 128 * 1024;

/** The peer closed before a whole body arrived: `got` of `wanted` bytes did. */
export class EarlyEof extends Error {
  override name = "EarlyEof";

  /** Records how far the body got. */
  constructor(readonly got: number, readonly wanted: number) {
    super(`The connection closed after ${got} of ${wanted} bytes`);
  }
}

/** Options of a {@linkcode FrameConnection}. */
export interface FrameConnectionOptions {
  /** Bytes read ahead at most (a header, and on a server a request's stdin). @default {PREFIX_BYTES + MAX_HEADER_BYTES} */
  maxBuffered?: number;
  /** Told each read's size. */
  onRead?: (n: number) => void;
  /** Told each write's size. */
  onWrite?: (n: number) => void;
}

/**
 * Frames over one byte stream: header frames in and out, bodies of a size a
 * header gave.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameConnection } from "./connection.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const written = new MemoryWriter();
 * const conn = new FrameConnection({ read: () => Promise.resolve(null), write: (p) => written.write(p) });
 * await conn.write({ cmd: "true" });
 * assert.ok((await conn.readHeader()) === null && written.bytes().length === 18);
 * ```
 */
export class FrameConnection {
  /** The read buffer: a server watches it for EOF while a command runs. */
  readonly input: BufferedReader;
  readonly #writer: ByteWriter;
  readonly #onWrite: ((n: number) => void) | undefined;

  /** Reads and writes frames on `conn`. */
  constructor(
    conn: ByteReader & ByteWriter,
    options: FrameConnectionOptions = {},
  ) {
    this.input = new BufferedReader(
      conn,
      options.maxBuffered ?? PREFIX_BYTES + MAX_HEADER_BYTES,
      options.onRead,
    );
    this.#writer = conn;
    this.#onWrite = options.onWrite;
  }

  /**
   * The next header, or `null` if the stream ended before a whole one came.
   * Throws a `FrameError` for a malformed one.
   */
  async readHeader(): Promise<Record<string, unknown> | null> {
    let decoded = decodeHeader(this.input.view());
    while (decoded.kind === "incomplete") {
      if ((await this.input.fill(decoded.needed)) !== "ok") return null;
      decoded = decodeHeader(this.input.view());
    }
    this.input.consume(decoded.size);
    return decoded.header;
  }

  /** The next `size` bytes; throws {@linkcode EarlyEof} if the stream ends first. */
  async readBody(size: number): Promise<Uint8Array> {
    const body = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      if (this.input.length === 0 && (await this.input.fill(1)) !== "ok") {
        throw new EarlyEof(got, size);
      }
      const n = Math.min(this.input.length, size - got);
      body.set(this.input.view().subarray(0, n), got);
      this.input.consume(n);
      got += n;
    }
    return body;
  }

  /**
   * Hands the next `size` bytes (at most what the buffer holds) to `use`
   * without copying them: the view is valid until `use` settles, then the
   * bytes are consumed. Throws {@linkcode EarlyEof} if the stream ends
   * first.
   */
  async withBody<T>(
    size: number,
    use: (body: Uint8Array) => Promise<T>,
  ): Promise<T> {
    if ((await this.input.fill(size)) !== "ok") {
      throw new EarlyEof(this.input.length, size);
    }
    try {
      return await use(this.input.view().subarray(0, size));
    } finally {
      this.input.consume(size);
    }
  }

  /**
   * Writes a header frame and the body `buffer[bodyStart, bodyEnd)` as one
   * write, the header encoded into the room before the body (see
   * `HEADROOM_BYTES`); with too little room, as {@linkcode write} does.
   */
  async writeBefore(
    header: Record<string, unknown>,
    buffer: Uint8Array,
    bodyStart: number,
    bodyEnd: number,
  ): Promise<void> {
    const start = encodeHeaderBefore(header, buffer, bodyStart);
    if (start === undefined) {
      return await this.write(header, buffer.subarray(bodyStart, bodyEnd));
    }
    await writeAll(
      this.#writer,
      buffer.subarray(start, bodyEnd),
      this.#onWrite,
    );
  }

  /** Writes bytes as they are: a legacy (unframed) request. */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    await writeAll(this.#writer, bytes, this.#onWrite);
  }

  /**
   * Writes a header frame and its body. Up to
   * {@linkcode COALESCE_WRITE_BYTES} in all go out as one write: one TLS
   * record, and no Nagle wait between header and body.
   */
  async write(
    header: Record<string, unknown>,
    ...body: Uint8Array[]
  ): Promise<void> {
    const parts = [encodeHeader(header), ...body];
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    if (total <= COALESCE_WRITE_BYTES) {
      await writeAll(this.#writer, concatBytes(parts), this.#onWrite);
      return;
    }
    for (const part of parts) await writeAll(this.#writer, part, this.#onWrite);
  }
}
