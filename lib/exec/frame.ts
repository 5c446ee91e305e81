/**
 * The exec service's frame codec: a 4-byte little-endian length L, then L
 * bytes of a UTF-8 JSON object (the header), then a body whose size the
 * header gives. Pure: bytes in, values out; says "incomplete" when more
 * bytes are needed and throws on malformed input. See docs/PROTOCOL.md.
 *
 * @module
 */

/** How deep objects and arrays may nest in a header: 32 levels. */
export const MAX_HEADER_DEPTH = 32;

/** The smallest header length: `{}`. */
export const MIN_HEADER_BYTES = 2;
/** The largest header length: 64 KiB. */
export const MAX_HEADER_BYTES = 65536;
/** The length prefix's size. */
export const PREFIX_BYTES = 4;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** A malformed frame; `code` is the error code a server replies with. */
export class FrameError extends Error {
  override name = "FrameError";
  /** Always `bad_request` for a frame a peer sent. */
  readonly code = "bad_request";
}

/**
 * Encodes a header as a length-prefixed frame (without body).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeHeader } from "./frame.ts";
 * const frame = encodeHeader({ cmd: "ls" });
 * assert.ok(new DataView(frame.buffer).getUint32(0, true) === frame.length - 4);
 * ```
 */
export function encodeHeader(header: Record<string, unknown>): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  if (json.length > MAX_HEADER_BYTES) {
    throw new RangeError(
      `Header of ${json.length} bytes is over the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const frame = new Uint8Array(PREFIX_BYTES + json.length);
  new DataView(frame.buffer).setUint32(0, json.length, true);
  frame.set(json, PREFIX_BYTES);
  return frame;
}

/** Room kept in front of a body so its frame's header can go there: 64 bytes (a chunk's header takes about 30). */
export const HEADROOM_BYTES = 64;

/**
 * Encodes a header frame into the bytes just before `bodyStart` in
 * `buffer`, so the frame and its body are one run of bytes; returns where
 * the frame starts, or `undefined` when the header does not fit there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHeader, encodeHeaderBefore, HEADROOM_BYTES } from "./frame.ts";
 * const buffer = new Uint8Array(HEADROOM_BYTES + 2);
 * const start = encodeHeaderBefore({ size: 2 }, buffer, HEADROOM_BYTES)!;
 * const decoded = decodeHeader(buffer.subarray(start));
 * assert.ok(decoded.kind === "header" && decoded.size === HEADROOM_BYTES - start);
 * ```
 */
export function encodeHeaderBefore(
  header: Record<string, unknown>,
  buffer: Uint8Array,
  bodyStart: number,
): number | undefined {
  const json = encoder.encode(JSON.stringify(header));
  const start = bodyStart - PREFIX_BYTES - json.length;
  if (start < 0) return undefined;
  new DataView(buffer.buffer, buffer.byteOffset).setUint32(
    start,
    json.length,
    true,
  );
  buffer.set(json, start + PREFIX_BYTES);
  return start;
}

/** The result of {@linkcode decodeHeader}. */
export type HeaderResult =
  | { kind: "incomplete"; needed: number }
  | { kind: "header"; header: Record<string, unknown>; size: number };

/**
 * Decodes the header frame at the start of `bytes`: `incomplete` with the
 * total bytes needed, or the header object and the frame's size. Throws a
 * {@linkcode FrameError} for a length out of range, bad UTF-8 or JSON, a
 * non-object, nesting past {@linkcode MAX_HEADER_DEPTH}, or a `__proto__`
 * key. Checks the length before waiting for,
 * or allocating, anything it asks for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHeader, encodeHeader } from "./frame.ts";
 * const frame = encodeHeader({ cmd: "ls" });
 * assert.ok(decodeHeader(frame.subarray(0, 3)).kind === "incomplete");
 * const result = decodeHeader(frame);
 * assert.ok(result.kind === "header" && result.header.cmd === "ls");
 * ```
 */
export function decodeHeader(bytes: Uint8Array): HeaderResult {
  if (bytes.length < PREFIX_BYTES) {
    return { kind: "incomplete", needed: PREFIX_BYTES };
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, PREFIX_BYTES)
    .getUint32(0, true);
  if (length < MIN_HEADER_BYTES || length > MAX_HEADER_BYTES) {
    throw new FrameError(
      `Header length ${length} is out of range: use ${MIN_HEADER_BYTES} to ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const size = PREFIX_BYTES + length;
  if (bytes.length < size) return { kind: "incomplete", needed: size };
  return {
    kind: "header",
    header: parseHeaderJson(bytes.subarray(PREFIX_BYTES, size)),
    size,
  };
}

/**
 * Parses a header's JSON: strict UTF-8, an object, no `__proto__` key, no
 * deeper than {@linkcode MAX_HEADER_DEPTH} levels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHeaderJson } from "./frame.ts";
 * assert.ok(parseHeaderJson(new TextEncoder().encode('{"a":1}')).a === 1);
 * ```
 */
export function parseHeaderJson(json: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictDecoder.decode(json));
  } catch (err) {
    const what = err instanceof SyntaxError
      ? "not valid JSON"
      : "not valid UTF-8";
    throw new FrameError(`Header is ${what}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FrameError("Header is not a JSON object");
  }
  checkStructure(value);
  return value as Record<string, unknown>;
}

/**
 * Walks a parsed header without recursion (a peer chooses how deep it
 * nests): refuses nesting past {@linkcode MAX_HEADER_DEPTH} and any
 * `__proto__` key.
 */
function checkStructure(root: object): void {
  const pending: Array<{ value: object; depth: number }> = [{
    value: root,
    depth: 1,
  }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    if (item.depth > MAX_HEADER_DEPTH) {
      throw new FrameError(
        `Header nests deeper than ${MAX_HEADER_DEPTH} levels`,
      );
    }
    if (Object.hasOwn(item.value, "__proto__")) {
      throw new FrameError('Header has a "__proto__" key');
    }
    for (const child of Object.values(item.value)) {
      if (typeof child === "object" && child !== null) {
        pending.push({ value: child, depth: item.depth + 1 });
      }
    }
  }
}

/**
 * Reads a non-negative whole number field no larger than `max`, or throws a
 * {@linkcode FrameError} naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeField } from "./frame.ts";
 * assert.ok(sizeField({ n: 5 }, "n", 10) === 5);
 * ```
 */
export function sizeField(
  header: Record<string, unknown>,
  name: string,
  max: number,
): number {
  const value = header[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new FrameError(
      `Header field "${name}" must be a whole number of bytes, got ${
        JSON.stringify(value)
      }`,
    );
  }
  if (value > max) {
    throw new FrameError(
      `Header field "${name}" is ${value}, over the limit of ${max}`,
    );
  }
  return value;
}
