/**
 * How `sockit bench` shows its numbers: the result table, the live progress
 * line on a terminal, and the `--min-rps`/`--max-p99` guards.
 *
 * @module
 */

import type { BenchResult } from "./run.ts";
import { SockitError } from "../io/errors.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";

/**
 * The result as a few aligned lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBenchResult } from "./report.ts";
 * const text = formatBenchResult({ target: "tcp-echo", connections: 1, size: 64, seconds: 1, requests: 10,
 *   errors: 0, rps: 10, mbps: 0.001, p50_ms: 1, p99_ms: 2, max_ms: 3 });
 * assert.ok(text.includes("requests/s  10"));
 * ```
 */
export function formatBenchResult(r: BenchResult): string {
  const what = r.target === "exec"
    ? `${r.connections} connections`
    : `${r.connections} ${
      r.target === "udp-upper" ? "sockets" : "connections"
    }, ${r.size}-byte messages`;
  return [
    `sockit bench ${r.target}: ${what}, ${r.seconds} s`,
    `requests    ${r.requests}`,
    `requests/s  ${r.rps}`,
    `MB/s        ${r.mbps}`,
    `latency     p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  max ${r.max_ms} ms`,
    `errors      ${r.errors}${
      r.first_error ? ` (first: ${r.first_error})` : ""
    }`,
    "",
  ].join("\n");
}

/**
 * Throws a {@linkcode SockitError} (exit 1) naming each guard the result
 * missed.
 *
 * @example
 * ```ts
 * import { checkBenchGuards } from "./report.ts";
 * const r = { target: "tcp-echo" as const, connections: 1, size: 64, seconds: 1, requests: 10,
 *   errors: 0, rps: 10, mbps: 0, p50_ms: 1, p99_ms: 2, max_ms: 3 };
 * checkBenchGuards(r, { minRps: 5, maxP99: 2 });
 * ```
 */
export function checkBenchGuards(
  result: BenchResult,
  guards: { minRps?: number; maxP99?: number },
): void {
  const missed: string[] = [];
  if (guards.minRps !== undefined && result.rps < guards.minRps) {
    missed.push(
      `${result.rps} requests/s is under --min-rps ${guards.minRps}`,
    );
  }
  if (guards.maxP99 !== undefined && result.p99_ms > guards.maxP99) {
    missed.push(
      `p99 latency ${result.p99_ms} ms is over --max-p99 ${guards.maxP99}`,
    );
  }
  if (missed.length > 0) {
    throw new SockitError(`Bench missed its guard: ${missed.join("; ")}`);
  }
}

/**
 * One line on a terminal, rewritten in place each second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressLine } from "./report.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const out = new MemoryWriter();
 * const line = new ProgressLine(out);
 * line.show({ target: "exec", connections: 1, size: 0, seconds: 1, requests: 5, errors: 0,
 *   rps: 5, mbps: 0, p50_ms: 1, p99_ms: 1, max_ms: 1 });
 * await line.clear();
 * assert.ok(out.text().startsWith("\r"));
 * ```
 */
export class ProgressLine {
  readonly #out: ByteWriter;
  #writing: Promise<void> = Promise.resolve();

  /** Writes to `out` (a terminal). */
  constructor(out: ByteWriter) {
    this.#out = out;
  }

  /** Shows the numbers so far. */
  show(r: BenchResult): void {
    const text = `\r\x1b[K${
      r.seconds.toFixed(0)
    } s  ${r.requests} requests  ${r.rps}/s  p99 ${r.p99_ms} ms  errors ${r.errors}`;
    this.#write(text);
  }

  /** Erases the line. */
  async clear(): Promise<void> {
    this.#write("\r\x1b[K");
    await this.#writing;
  }

  #write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.#writing = this.#writing.then(() => writeAll(this.#out, bytes))
      .catch(() => {});
  }
}
