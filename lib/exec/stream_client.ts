/**
 * The client's side of a streamed request: stdin sent as frames while the
 * command runs (one read of this process's stdin per frame, so a line typed
 * at a terminal goes at once), and the reply's frames handed on as they
 * come, up to the exit frame.
 *
 * @module
 */

import { type ByteReader, writeAll } from "../io/streams.ts";
import type { FrameConnection } from "./connection.ts";
import { FrameError } from "./frame.ts";
import type { ExecResult } from "./protocol.ts";
import {
  chunkHeader,
  MAX_STREAM_CHUNK,
  parseStreamedFrame,
  STDIN_END,
} from "./stream_protocol.ts";

/**
 * What a streamed reply's chunks are handed to; `flush`, when there, is
 * called once the exit frame has come (before it is printed).
 */
export type ChunkSink =
  & ((type: "stdout" | "stderr", bytes: Uint8Array) => Promise<void>)
  & { flush?: () => Promise<void> };

/**
 * Sends `stdin` as stdin frames until its end (then `stdin_end`), or until
 * `stop` aborts (the reply is complete; nothing more is sent).
 *
 * @example
 * ```ts ignore
 * import { sendStdinFrames } from "./stream_client.ts";
 * await sendStdinFrames(frames, Deno.stdin, stop.signal);
 * ```
 */
export async function sendStdinFrames(
  frames: FrameConnection,
  stdin: ByteReader,
  stop: AbortSignal,
): Promise<void> {
  const buffer = new Uint8Array(MAX_STREAM_CHUNK);
  try {
    while (!stop.aborted) {
      const n = await stdin.read(buffer);
      if (stop.aborted) return;
      if (n === null) {
        await frames.write(STDIN_END);
        return;
      }
      await frames.write(chunkHeader("stdin", n), buffer.subarray(0, n));
    }
  } catch {
    // The connection ended: the reply's reader says why.
  }
}

/**
 * Reads a streamed reply, `first` being its first frame's header: chunks go
 * to `sink` as they arrive; resolves to the exit frame's result, or to
 * `single` when `first` is a server's one reply (it does not stream).
 *
 * @example
 * ```ts ignore
 * import { readStreamedReply } from "./stream_client.ts";
 * const result = await readStreamedReply(frames, first, (type, bytes) => out.write(bytes));
 * ```
 */
export async function readStreamedReply(
  frames: FrameConnection,
  first: Record<string, unknown>,
  sink: ChunkSink,
): Promise<ExecResult | "single" | "closed"> {
  let header: Record<string, unknown> | null = first;
  while (header !== null) {
    const frame = parseStreamedFrame(header);
    if (frame.kind === "single") {
      if (header === first) return "single";
      throw new FrameError("A frame without a type inside a streamed reply");
    }
    if (frame.kind === "exit") {
      await sink.flush?.();
      return frame.result;
    }
    await sink(frame.type, await frames.readBody(frame.size));
    header = await frames.readHeader();
  }
  return "closed";
}

/**
 * A sink that writes chunks to stdout and stderr as they come, or, with
 * `json`, one JSON object per chunk (a UTF-8 character split between two
 * chunks goes whole into the second's object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outputSink } from "./stream_client.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const out = new MemoryWriter(), err = new MemoryWriter();
 * await outputSink({ stdout: out, stderr: err }, false)("stderr", new Uint8Array([104]));
 * assert.ok(err.text() === "h");
 * ```
 */
export function outputSink(
  io: {
    stdout: { write(p: Uint8Array): Promise<number> };
    stderr: { write(p: Uint8Array): Promise<number> };
  },
  json: boolean,
): ChunkSink {
  const encoder = new TextEncoder();
  // One streaming decoder per stream: a UTF-8 character split across two
  // frames is printed whole, in the object of the frame that completes it.
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const print = (type: "stdout" | "stderr", data: string) =>
    writeAll(
      io.stdout,
      encoder.encode(JSON.stringify({ type, data }) + "\n"),
    );
  const sink: ChunkSink = async (type, bytes) => {
    if (!json) {
      await writeAll(type === "stdout" ? io.stdout : io.stderr, bytes);
      return;
    }
    const data = decoders[type].decode(bytes, { stream: true });
    if (data !== "") await print(type, data);
  };
  sink.flush = async () => {
    if (!json) return;
    for (const type of ["stdout", "stderr"] as const) {
      const rest = decoders[type].decode(); // A character cut off at the end: U+FFFD.
      if (rest !== "") await print(type, rest);
    }
  };
  return sink;
}
