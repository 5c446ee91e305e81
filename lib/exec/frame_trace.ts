/**
 * What `--trace` shows of exec's framing: where each frame starts, its
 * 4-byte length, its JSON header (the token hidden) and its body's size, so
 * a reader sees where one message ends and the next begins however the
 * bytes were split or joined; and which bytes of a chunk are the token's,
 * byte by byte as they pass (a token split across reads included), so the
 * dump hides them too. Pure and incremental: fed one direction's chunks in
 * order, it keeps at most one header (64 KiB) between them.
 *
 * @module
 */

import type { TraceNote, TraceReading } from "../io/trace_entry.ts";
import { JsonSecretScanner } from "../io/json_secret_scanner.ts";
import { concatBytes } from "../io/bytes.ts";
import {
  MAX_HEADER_BYTES,
  MIN_HEADER_BYTES,
  parseHeaderJson,
  PREFIX_BYTES,
} from "./frame.ts";
import { announcedBodySize } from "./protocol.ts";

/** How much of a header a text note shows: 200 characters. */
const SHOWN_HEADER_CHARS = 200;

type Phase = "prefix" | "header" | "body" | "unframed";

/**
 * A decoder for one direction of an exec connection: each call takes the
 * next chunk and returns a note for each frame whose header ends in it, and
 * the ranges of the chunk that hold a token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { execTraceDecoder } from "./frame_trace.ts";
 * import { encodeHeader } from "./frame.ts";
 * const decode = execTraceDecoder();
 * const frame = encodeHeader({ cmd: "ls" });
 * assert.ok(decode(frame.subarray(0, 5)).notes.length === 0);
 * const [note] = decode(frame.subarray(5)).notes;
 * assert.ok(note!.offset === -5 && note!.text.includes('{"cmd":"ls"}'));
 * ```
 */
export function execTraceDecoder(): (chunk: Uint8Array) => TraceReading {
  let phase: Phase = "prefix";
  let parts: Uint8Array[] = []; // The part of a prefix or header seen so far.
  let heldBytes = 0;
  let held = new Uint8Array(0); // The whole prefix, or prefix and header, once complete.
  let need = PREFIX_BYTES;
  let frameStart = 0; // Where the frame began, relative to this chunk.
  let secrets = new JsonSecretScanner("token");
  return (chunk) => {
    const notes: TraceNote[] = [];
    const hidden: Array<[number, number]> = [];
    let at = 0;
    while (at < chunk.length && phase !== "unframed") {
      if (phase === "body") {
        const skip = Math.min(need, chunk.length - at);
        at += skip;
        need -= skip;
        if (need === 0) [phase, need] = ["prefix", PREFIX_BYTES];
        continue;
      }
      if (heldBytes === 0) frameStart = at;
      const take = Math.min(need - heldBytes, chunk.length - at);
      if (phase === "header") {
        const json = chunk.subarray(at, at + take);
        for (const [start, end] of secrets.scan(json)) {
          hidden.push([at + start, at + end]);
        }
      }
      parts.push(chunk.slice(at, at + take));
      heldBytes += take;
      at += take;
      if (heldBytes < need) break;
      held = concatBytes(parts);
      parts = [held];
      const note = phase === "prefix" ? readPrefix() : readHeader(at);
      if (note) notes.push(note);
    }
    frameStart -= chunk.length;
    return { notes, hidden };
  };

  function readPrefix(): TraceNote | undefined {
    const length = new DataView(held.buffer, held.byteOffset).getUint32(
      0,
      true,
    );
    if (length < MIN_HEADER_BYTES || length > MAX_HEADER_BYTES) {
      phase = "unframed";
      return unframed(
        `length ${length} is out of range (the seeds' raw text?)`,
      );
    }
    [phase, need] = ["header", PREFIX_BYTES + length];
    secrets = new JsonSecretScanner("token");
    return undefined;
  }

  function readHeader(end: number): TraceNote {
    const json = held.subarray(PREFIX_BYTES);
    [parts, heldBytes] = [[], 0];
    let header: Record<string, unknown>;
    try {
      header = parseHeaderJson(json);
    } catch (err) {
      phase = "unframed";
      return unframed((err as Error).message);
    }
    if ("token" in header) header = { ...header, token: "(hidden)" };
    const body = announcedBodySize(header);
    [phase, need] = body > 0 ? ["body", body] : ["prefix", PREFIX_BYTES];
    const shown = JSON.stringify(header);
    return {
      offset: frameStart,
      text: `exec frame: length ${json.length}, header ${
        shown.length > SHOWN_HEADER_CHARS
          ? shown.slice(0, SHOWN_HEADER_CHARS) + "..."
          : shown
      }, body ${body} bytes, ends at ${end + body}`,
      fields: {
        frame: "exec",
        header_bytes: json.length,
        header,
        body_bytes: body,
      },
    };
  }

  function unframed(why: string): TraceNote {
    return {
      offset: frameStart,
      text: `not an exec frame: ${why}; no more frames shown`,
      fields: { frame: "none", reason: why },
    };
  }
}
