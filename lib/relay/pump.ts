/**
 * One direction of a relayed connection: read from one end, write to the
 * other, with the direction's faults on the way (re-split, held and joined,
 * delayed, paced), a half-close carried through, and backpressure end to
 * end: nothing is read until what was read before is written, so memory
 * stays at one buffer (64 KiB, growing to {@linkcode MAX_RELAY_BUFFER_BYTES}
 * while reads keep filling it), or, coalescing, at most
 * {@linkcode MAX_COALESCE_BYTES}.
 *
 * @module
 */

import { concatBytes } from "../io/bytes.ts";
import { ReadBuffer } from "../io/read_buffer.ts";
import type { Random } from "../io/random.ts";
import { type ByteReader, type ByteWriter, writeAll } from "../io/streams.ts";
import { sleep } from "../io/timers.ts";
import { delayMs, pieceSizes } from "./faults.ts";
import type { StreamFaults } from "./fault_options.ts";

/** A relayed connection's end: a `Deno.Conn`, or a Node socket that can reset. */
export interface RelayEnd {
  /** Reads into `p`; `null` at the peer's end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes a prefix of `p`. */
  write(p: Uint8Array): Promise<number>;
  /** Half-closes: the peer reads its end of stream. */
  closeWrite(): Promise<void>;
  /** Closes both ways. */
  close(): void;
  /**
   * Closes with a TCP reset, where the socket can, once the bytes written
   * have left; resolves to the bytes a reset still discarded, if known.
   */
  reset?(): Promise<number | undefined>;
}

/** The most a `--coalesce` holds before it sends: 1 MiB. */
export const MAX_COALESCE_BYTES = 1024 * 1024;
/** The read buffer a direction starts with: 64 KiB. */
export const RELAY_BUFFER_BYTES = 64 * 1024;
/** The read buffer a direction grows to while reads keep filling it: 1 MiB. */
export const MAX_RELAY_BUFFER_BYTES = 1024 * 1024;

/** What ended a direction: its end of stream, or a byte limit reached. */
export type PumpEnd = "eof" | "cut" | "reset" | "stall";

/** Options of a {@linkcode Pump}. */
export interface PumpOptions {
  /** The direction's faults; none when absent. */
  faults?: StreamFaults | undefined;
  /** Draws for random chunk sizes and jitter. */
  random: Random;
  /** Aborting ends waits at once (shutdown). */
  signal: AbortSignal;
  /** Told each write's size. */
  onForwarded?: (n: number) => void;
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * Moves bytes from `from` to `to` until `from` ends or a byte limit
 * (`cutAfter`, `resetAfter`, `stallAfter`) is reached.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pump } from "./pump.ts";
 * import { MemoryReader, MemoryWriter } from "../io/memory.ts";
 * const out = Object.assign(new MemoryWriter(), { closeWrite: () => Promise.resolve() });
 * const from = new MemoryReader(new Uint8Array(10));
 * const pump = new Pump(from, out, { random: Math.random, signal: new AbortController().signal });
 * assert.ok((await pump.run()) === "eof" && out.bytes().length === 10);
 * ```
 */
export class Pump {
  readonly #from: ByteReader;
  readonly #to: ByteWriter & Pick<RelayEnd, "closeWrite">;
  readonly #options: PumpOptions;
  readonly #buffer = new ReadBuffer(RELAY_BUFFER_BYTES, MAX_RELAY_BUFFER_BYTES);
  #pending: Promise<Uint8Array | null> | null = null;
  #ended = false;
  #stopped = false;
  #paceStart = 0;
  #paced = 0;
  /** Bytes written to `to` so far. */
  forwarded = 0;
  /** Bytes read and dropped after a stall or a cut. */
  dropped = 0;

  /** A pump from `from` to `to`; nothing moves until {@linkcode Pump.run}. */
  constructor(
    from: ByteReader,
    to: ByteWriter & Pick<RelayEnd, "closeWrite">,
    options: PumpOptions,
  ) {
    this.#from = from;
    this.#to = to;
    this.#options = options;
  }

  /**
   * Forwards until the end of `from` (then half-closes `to`) or a limit.
   * At a limit the bytes up to it are written and the limit returned; what
   * it means for the connection is the caller's to do.
   */
  async run(): Promise<PumpEnd> {
    const limit = byteLimit(this.#options.faults);
    while (true) {
      if (limit && this.forwarded >= limit.bytes) return limit.end;
      const chunk = await this.#next();
      if (chunk === null) {
        await this.#to.closeWrite().catch(() => {});
        return "eof";
      }
      if (this.#stopped) {
        this.dropped += chunk.length;
        return "cut";
      }
      const room = limit ? limit.bytes - this.forwarded : chunk.length;
      await this.#send(chunk.subarray(0, room));
      if (room < chunk.length) this.dropped += chunk.length - room;
    }
  }

  /** Forwards nothing more: the other direction was cut. */
  stop(): void {
    this.#stopped = true;
  }

  /** Reads `from` to its end, dropping what arrives (after a stall or a cut). */
  async drain(): Promise<void> {
    while (true) {
      const chunk = await this.#next();
      if (chunk === null) return;
      this.dropped += chunk.length;
    }
  }

  async #next(): Promise<Uint8Array | null> {
    const first = await this.#take();
    const coalesceMs = this.#options.faults?.coalesce;
    if (first === null || coalesceMs === undefined) return first;
    const parts: Uint8Array[] = [first.slice()];
    let held = first.length;
    const stop = new AbortController();
    const timeUp = sleep(
      coalesceMs,
      AbortSignal.any([
        stop.signal,
        this.#options.signal,
      ]),
    ).then((): typeof TIMED_OUT => TIMED_OUT);
    try {
      while (held < MAX_COALESCE_BYTES && !this.#ended) {
        this.#pending ??= this.#readAhead();
        const next = await Promise.race([this.#pending, timeUp]);
        if (next === TIMED_OUT) break;
        this.#pending = null;
        if (next === null) {
          this.#ended = true;
        } else {
          parts.push(next);
          held += next.length;
        }
      }
    } finally {
      stop.abort();
    }
    return concatBytes(parts);
  }

  /** The next chunk: a read left pending by a coalesce, or a new one. */
  async #take(): Promise<Uint8Array | null> {
    if (this.#pending) {
      const pending = this.#pending;
      this.#pending = null;
      return await pending;
    }
    if (this.#ended) return null;
    // Streaming, the buffer grows (fewer, larger copies); quiet, it shrinks.
    const buffer = this.#buffer.bytes;
    const n = await this.#from.read(buffer);
    if (n === null) return null;
    this.#buffer.took(n); // A larger buffer is a new one: this chunk stays whole.
    return buffer.subarray(0, n);
  }

  /** A read into its own buffer, which may outlive this round. */
  #readAhead(): Promise<Uint8Array | null> {
    const buffer = new Uint8Array(RELAY_BUFFER_BYTES);
    const read = this.#from.read(buffer).then((n) =>
      n === null ? null : buffer.subarray(0, n)
    );
    read.catch(() => {}); // Awaited later, or dropped with the connection.
    return read;
  }

  async #send(bytes: Uint8Array): Promise<void> {
    const { faults, random, signal } = this.#options;
    const sizes = faults?.chunk
      ? pieceSizes(bytes.length, faults.chunk, random)
      : [bytes.length];
    let at = 0;
    for (const size of sizes) {
      const piece = bytes.subarray(at, at + size);
      at += size;
      if (faults?.delay) await sleep(delayMs(faults.delay, random), signal);
      if (faults?.rate) {
        await this.#pacedWrite(piece, faults.rate);
      } else {
        await this.#write(piece);
      }
    }
  }

  /** Writes in slices of a twentieth of a second's bytes, each on time. */
  async #pacedWrite(bytes: Uint8Array, rate: number): Promise<void> {
    if (this.#paceStart === 0) this.#paceStart = performance.now();
    const slice = Math.max(1, Math.floor(rate / 20));
    for (let at = 0; at < bytes.length; at += slice) {
      const piece = bytes.subarray(at, at + slice);
      this.#paced += piece.length;
      const due = this.#paceStart + (this.#paced / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, this.#options.signal);
      await this.#write(piece);
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    await writeAll(this.#to, bytes);
    this.forwarded += bytes.length;
    this.#options.onForwarded?.(bytes.length);
  }
}

/** The first byte limit among the faults, and what reaching it means. */
function byteLimit(
  faults: StreamFaults | undefined,
): { bytes: number; end: PumpEnd } | undefined {
  const limits: Array<{ bytes: number | undefined; end: PumpEnd }> = [
    { bytes: faults?.cutAfter, end: "cut" },
    { bytes: faults?.resetAfter, end: "reset" },
    { bytes: faults?.stallAfter, end: "stall" },
  ];
  const set = limits.filter((l): l is { bytes: number; end: PumpEnd } =>
    l.bytes !== undefined
  );
  set.sort((a, b) => a.bytes - b.bytes);
  return set[0];
}
