/**
 * Log lines on their way to stderr without ever stalling the server: a
 * server's log is written by one background writer, so a slow or stopped
 * reader of stderr (a full pipe) holds up the log, not the clients. At most
 * {@linkcode MAX_QUEUED_LOG_BYTES} of routine lines wait; past that, they
 * are dropped, counted, and reported in one line once the writer catches
 * up. Important lines (warnings, shutdown) may use as much again, so a flood
 * of routine lines does not push them out.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import { type ByteWriter, writeAll } from "./streams.ts";
import { settlesWithin } from "./timers.ts";

/** Bytes of routine log lines that may wait for a slow stderr: 256 KiB (important ones: twice that). */
export const MAX_QUEUED_LOG_BYTES = 256 * 1024;

/** Options of a {@linkcode LineQueue}. */
export interface LineQueueOptions {
  /**
   * Bytes of routine lines that may wait, counting the batch being written;
   * important lines may fill twice this. @default {MAX_QUEUED_LOG_BYTES}
   */
  maxBytes?: number;
  /** The line that reports `count` dropped lines. @default {a plain sentence} */
  droppedLine?: (count: number) => string;
}

const encoder = new TextEncoder();

/**
 * A bounded queue of lines with one writer draining it, in order. Pushing
 * never blocks and never throws; once the output fails (stderr closed),
 * lines are discarded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineQueue } from "./log_queue.ts";
 * import { MemoryWriter } from "./memory.ts";
 * const out = new MemoryWriter();
 * const queue = new LineQueue(out, { maxBytes: 8 });
 * queue.push("one");
 * queue.push("two");
 * queue.push("three"); // over 8 bytes waiting: dropped and counted
 * await queue.flush(1000);
 * assert.ok(out.text() === "one\ntwo\nsockit: 1 log line dropped: stderr is not keeping up\n");
 * ```
 */
export class LineQueue {
  readonly #out: ByteWriter;
  readonly #maxBytes: number;
  readonly #droppedLine: (count: number) => string;
  #lines: Uint8Array[] = [];
  #bytes = 0;
  #dropped = 0;
  #failed = false;
  #writing: Promise<void> | null = null;

  /** Lines go to `out`, one batch at a time. */
  constructor(out: ByteWriter, options: LineQueueOptions = {}) {
    this.#out = out;
    this.#maxBytes = options.maxBytes ?? MAX_QUEUED_LOG_BYTES;
    this.#droppedLine = options.droppedLine ??
      ((count) =>
        `sockit: ${count} log line${
          count === 1 ? "" : "s"
        } dropped: stderr is not keeping up`);
  }

  /** Lines dropped since the last report. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Queues `line` (a newline is added), or drops and counts it when full.
   * An `important` line may fill the queue to twice its routine bound.
   */
  push(line: string, importance: "routine" | "important" = "routine"): void {
    if (this.#failed) return;
    const bytes = encoder.encode(line + "\n");
    const bound = importance === "important"
      ? 2 * this.#maxBytes
      : this.#maxBytes;
    if (this.#bytes + bytes.length > bound) {
      this.#dropped++;
      return;
    }
    this.#enqueue(bytes);
  }

  /**
   * Resolves once every queued line is written (true), or after `timeoutMs`
   * with lines still waiting (false): a stopped reader must not hold up exit.
   */
  flush(timeoutMs: number): Promise<boolean> {
    return this.#writing
      ? settlesWithin(this.#writing, timeoutMs)
      : Promise.resolve(true);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#lines.push(bytes);
    this.#bytes += bytes.length;
    this.#writing ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#lines.length > 0) {
        const batch = concatBytes(this.#lines.splice(0));
        await writeAll(this.#out, batch);
        this.#bytes -= batch.length;
        if (this.#dropped > 0) {
          // Reported past the cap, so the count itself is never lost.
          this.#enqueue(
            encoder.encode(this.#droppedLine(this.#dropped) + "\n"),
          );
          this.#dropped = 0;
        }
      }
    } catch {
      // stderr is gone (a closed pipe): the server goes on without its log.
      this.#failed = true;
      this.#lines = [];
      this.#bytes = 0;
    } finally {
      this.#writing = null;
    }
  }
}
