/**
 * The `--trace` options every client and server has, and the
 * {@linkcode Tracer} they make: on stderr or in a file, text or JSON, with
 * a bounded dump of each chunk.
 *
 * @module
 */

import { SockitError } from "../io/errors.ts";
import { choice, count, flag, text, type Values } from "../cli/option.ts";
import { writeAllSync } from "../io/streams.ts";
import { DEFAULT_TRACE_BYTES } from "../io/trace_entry.ts";
import { openUserFileForWriting } from "../io/user_files.ts";
import { type TraceDecoder, Tracer } from "../net/trace.ts";

/** The most bytes `--trace-bytes` shows of one chunk: 64 KiB. */
export const MAX_TRACE_BYTES = 65536;

/** `--trace`, `--trace-file`, `--trace-format` and `--trace-bytes`. */
export const TRACE_OPTIONS = {
  trace: flag({
    help:
      "Show each read, write and datagram on stderr as it crosses the socket: time, peer, direction, size, hex dump",
  }),
  traceFile: text({
    help:
      "Write the trace to PATH (made or emptied) instead of stderr; implies --trace",
    value: "PATH",
  }),
  traceFormat: choice({
    help: "Trace entries as text (hexdump -C rows) or one JSON object each",
    value: "FORMAT",
    choices: ["text", "json"] as const,
    default: "text",
  }),
  traceBytes: count({
    help: "Bytes of each chunk the trace shows; the rest is counted, not kept",
    value: "N",
    min: 0,
    max: MAX_TRACE_BYTES,
    default: DEFAULT_TRACE_BYTES,
  }),
};

/** The values of {@linkcode TRACE_OPTIONS}. */
export type TraceValues = Values<typeof TRACE_OPTIONS>;

/**
 * The tracer the options ask for, or `undefined` when tracing is off.
 * `decoder` shows a protocol's messages (exec's frames).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tracerFrom } from "./trace_options.ts";
 * assert.ok(tracerFrom({ trace: false, traceFile: undefined, traceFormat: "text", traceBytes: 256 }) === undefined);
 * ```
 */
export function tracerFrom(
  values: TraceValues,
  decoder?: () => TraceDecoder,
): Tracer | undefined {
  if (!values.trace && values.traceFile === undefined) return undefined;
  const file = values.traceFile === undefined
    ? undefined
    : openTraceFile(values.traceFile);
  const encoder = new TextEncoder();
  const out = file ?? Deno.stderr;
  return new Tracer({
    format: values.traceFormat,
    maxBytes: values.traceBytes,
    write: (text) => writeAllSync(out, encoder.encode(text)),
    ...(decoder ? { decoder } : {}),
    ...(file ? { close: () => file[Symbol.dispose]() } : {}),
  });
}

function openTraceFile(
  path: string,
): { writeSync(p: Uint8Array): number } & Disposable {
  try {
    return openUserFileForWriting(path);
  } catch (err) {
    throw new SockitError(
      `Cannot write the trace to "${path}": ${(err as Error).message}`,
      { cause: err },
    );
  }
}
