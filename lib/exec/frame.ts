/**
 * The exec service's frame codec: a 4-byte little-endian length L, then L
 * bytes of a UTF-8 JSON object (the header), then a body whose size the
 * header gives. Pure: bytes in, values out; says "incomplete" when more
 * bytes are needed and throws on malformed input. See docs/PROTOCOL.md.
 *
 * @module
 */

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
 * import { encodeHeader } from "./frame.ts";
 * const frame = encodeHeader({ cmd: "ls" });
 * console.assert(new DataView(frame.buffer).getUint32(0, true) === frame.length - 4);
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

/**
 * Whether the first bytes of a request start a frame rather than a legacy
 * raw command: a frame's length is at most 65,536, so its fourth byte is
 * zero, which a text command never has. Needs at least 4 bytes.
 *
 * @example
 * ```ts
 * import { encodeHeader, looksFramed } from "./frame.ts";
 * console.assert(looksFramed(encodeHeader({ cmd: "ls" })));
 * console.assert(!looksFramed(new TextEncoder().encode("uname -a")));
 * ```
 */
export function looksFramed(prefix: Uint8Array): boolean {
  return prefix.length >= PREFIX_BYTES && prefix[3] === 0;
}

/**
 * Whether bytes could begin a legacy (raw text) command: no control bytes
 * but tab, CR and LF. Fewer than 4 bytes then a pause are a legacy command
 * only if they could be; otherwise they are the start of a frame's prefix.
 *
 * @example
 * ```ts
 * import { couldBeText } from "./frame.ts";
 * console.assert(couldBeText(new TextEncoder().encode("ls")) && !couldBeText(new Uint8Array([0x10])));
 * ```
 */
export function couldBeText(bytes: Uint8Array): boolean {
  return bytes.every((b) =>
    b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d
  );
}

/** The result of {@linkcode decodeHeader}. */
export type HeaderResult =
  | { kind: "incomplete"; needed: number }
  | { kind: "header"; header: Record<string, unknown>; size: number };

/**
 * Decodes the header frame at the start of `bytes`: `incomplete` with the
 * total bytes needed, or the header object and the frame's size. Throws a
 * {@linkcode FrameError} for a length out of range, bad UTF-8 or JSON, a
 * non-object, or a `__proto__` key. Checks the length before waiting for,
 * or allocating, anything it asks for.
 *
 * @example
 * ```ts
 * import { decodeHeader, encodeHeader } from "./frame.ts";
 * const frame = encodeHeader({ cmd: "ls" });
 * console.assert(decodeHeader(frame.subarray(0, 3)).kind === "incomplete");
 * const result = decodeHeader(frame);
 * console.assert(result.kind === "header" && result.header.cmd === "ls");
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
 * Parses a header's JSON: strict UTF-8, an object, no `__proto__` key.
 *
 * @example
 * ```ts
 * import { parseHeaderJson } from "./frame.ts";
 * console.assert(parseHeaderJson(new TextEncoder().encode('{"a":1}')).a === 1);
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
  if (hasProtoKey(value)) throw new FrameError('Header has a "__proto__" key');
  return value as Record<string, unknown>;
}

function hasProtoKey(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (Object.hasOwn(value, "__proto__")) return true;
  return Object.values(value).some(hasProtoKey);
}

/**
 * Reads a non-negative whole number field no larger than `max`, or throws a
 * {@linkcode FrameError} naming it.
 *
 * @example
 * ```ts
 * import { sizeField } from "./frame.ts";
 * console.assert(sizeField({ n: 5 }, "n", 10) === 5);
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
