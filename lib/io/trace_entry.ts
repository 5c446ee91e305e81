/**
 * One `--trace` entry: a chunk that crossed a socket (one read, one write,
 * one datagram, or an end of stream), written as text (a heading line and
 * `hexdump -C` rows) or as one JSON object. Pure: an entry in, a string out;
 * the dump is cut at a byte bound and the rest only counted.
 *
 * @module
 */

import { hexdumpRows } from "./hexdump.ts";

/** Which way a chunk went: `recv` from the peer, `send` to it. */
export type TraceDirection = "recv" | "send";

/** How trace entries are written: for people, or one JSON object per line. */
export type TraceFormat = "text" | "json";

/**
 * What a protocol decoder says about a chunk: where in it a message
 * starts, in words and as fields (an exec frame's length, header, body).
 */
export interface TraceNote {
  /** The byte in this chunk where the message starts. */
  offset: number;
  /** The note for people, e.g. `exec frame: header 12 bytes ...`. */
  text: string;
  /** The note for tools. */
  fields: Record<string, unknown>;
}

/**
 * What a protocol decoder says about one chunk: where messages start, and
 * which bytes are a secret (exec's token) that the trace must not show.
 */
export interface TraceReading {
  /** A note for each message that starts (or whose header ends) here. */
  notes: TraceNote[];
  /** Byte ranges `[start, end)` of the chunk that hold a secret. */
  hidden: Array<[number, number]>;
}

/** One chunk that crossed a socket. */
export interface TraceEntry {
  /** Seconds since the trace began. */
  seconds: number;
  /** Which connection (numbered from 1) or, for datagrams, 0. */
  conn: number;
  /** The peer, as logs write it. */
  peer: string;
  /** Which way the bytes went. */
  direction: TraceDirection;
  /** `stream` for a read or write, `datagram` for one datagram, `eof` for an end of stream. */
  kind: "stream" | "datagram" | "eof";
  /** The bytes (all of them; the dump shows at most `maxBytes`). */
  bytes: Uint8Array;
  /** What a protocol decoder found in the chunk. */
  notes?: TraceNote[];
  /** Byte ranges `[start, end)` that hold a secret: dumped as `*` (0x2a), never as they are. */
  hidden?: Array<[number, number]>;
}

/** What a hidden byte shows as in a dump: `*`. */
export const HIDDEN_BYTE = 0x2a;

/** The bytes shown of each chunk by default: 256. */
export const DEFAULT_TRACE_BYTES = 256;

/**
 * Writes one entry: a heading, then the dump of up to `maxBytes` bytes and
 * how many were left out, then any notes; or, as `json`, one object with
 * the shown bytes in hex.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTraceEntry } from "./trace_entry.ts";
 * const text = formatTraceEntry({ seconds: 0.5, conn: 1, peer: "127.0.0.1:5", direction: "recv", kind: "stream", bytes: new TextEncoder().encode("hi") }, "text", 256);
 * assert.ok(text.startsWith("+0.500000s #1 127.0.0.1:5 recv 2 bytes\n00000000  68 69"));
 * ```
 */
export function formatTraceEntry(
  entry: TraceEntry,
  format: TraceFormat,
  maxBytes: number,
): string {
  const shown = masked(entry.bytes.subarray(0, maxBytes), entry.hidden);
  const omitted = entry.bytes.length - shown.length;
  if (format === "json") return jsonEntry(entry, shown, omitted);
  const what = entry.kind === "eof"
    ? "end of stream"
    : `${entry.kind === "datagram" ? "datagram " : ""}${entry.bytes.length} ${
      entry.bytes.length === 1 ? "byte" : "bytes"
    }`;
  const lines = [
    `+${
      entry.seconds.toFixed(6)
    }s #${entry.conn} ${entry.peer} ${entry.direction} ${what}`,
    ...hexdumpRows(shown),
  ];
  if (omitted > 0) {
    lines.push(
      `... ${omitted} more ${omitted === 1 ? "byte" : "bytes"} not shown`,
    );
  }
  for (const note of entry.notes ?? []) {
    lines.push(`  ^ at ${note.offset}: ${note.text}`);
  }
  for (const [start, end] of entry.hidden ?? []) {
    lines.push(`  ^ bytes ${start}-${end - 1} hidden: a secret, shown as *`);
  }
  return lines.join("\n") + "\n";
}

/** A copy of `bytes` with every hidden byte replaced by {@linkcode HIDDEN_BYTE}. */
function masked(
  bytes: Uint8Array,
  hidden: Array<[number, number]> | undefined,
): Uint8Array {
  if (!hidden || hidden.length === 0) return bytes;
  const copy = bytes.slice();
  for (const [start, end] of hidden) {
    copy.fill(HIDDEN_BYTE, Math.max(0, start), Math.min(copy.length, end));
  }
  return copy;
}

function jsonEntry(
  entry: TraceEntry,
  shown: Uint8Array,
  omitted: number,
): string {
  let hex = "";
  for (const byte of shown) hex += byte.toString(16).padStart(2, "0");
  return JSON.stringify({
    t: Number(entry.seconds.toFixed(6)),
    conn: entry.conn,
    peer: entry.peer,
    dir: entry.direction,
    kind: entry.kind,
    bytes: entry.bytes.length,
    hex,
    omitted,
    ...(entry.notes?.length
      ? { notes: entry.notes.map((n) => ({ offset: n.offset, ...n.fields })) }
      : {}),
    ...(entry.hidden?.length ? { hidden: entry.hidden } : {}),
  }) + "\n";
}
