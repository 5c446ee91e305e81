/**
 * The UDP chat's datagrams: one small JSON object each. Pure: encode and
 * decode, with every field checked and bounded; anything else decodes to
 * `null` and is ignored by the receiver.
 *
 * - `{"type":"join","name":"alice"}`: a client started; the server answers
 *   `{"type":"welcome"}`, so a client can tell a server that is there from
 *   one that is not (UDP says nothing about a closed port);
 * - `{"type":"msg","name":"alice","text":"hello"}`: a line someone typed
 *   (the server's own lines carry the name `server`);
 * - `{"type":"leave","name":"alice"}`: a client quit;
 * - `{"type":"bye"}`: the server quit; clients end too.
 *
 * @module
 */

/** The longest chat name, in characters. */
export const MAX_NAME_CHARS = 32;
/** The longest chat line, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 4096;

/** A chat datagram. */
export type ChatMessage =
  | { type: "join"; name: string }
  | { type: "welcome" }
  | { type: "msg"; name: string; text: string }
  | { type: "leave"; name: string }
  | { type: "bye" };

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Why `name` cannot be a chat name, or `null` if it can.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameProblem } from "./message.ts";
 * assert.ok(nameProblem("alice") === null && nameProblem("") !== null);
 * ```
 */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "a name cannot be empty";
  if (Array.from(name).length > MAX_NAME_CHARS) {
    return `use at most ${MAX_NAME_CHARS} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    return "a name cannot hold control characters";
  }
  return null;
}

/**
 * Encodes a chat datagram.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeChat, encodeChat } from "./message.ts";
 * const bytes = encodeChat({ type: "msg", name: "a", text: "hi" });
 * assert.ok(decodeChat(bytes)?.type === "msg");
 * ```
 */
export function encodeChat(message: ChatMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/**
 * Decodes a chat datagram, or `null` if it is not a well-formed one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeChat } from "./message.ts";
 * assert.ok(decodeChat(new TextEncoder().encode("garbage")) === null);
 * ```
 */
export function decodeChat(bytes: Uint8Array): ChatMessage | null {
  if (bytes.length > MAX_TEXT_BYTES + 256) return null;
  let value: unknown;
  try {
    value = JSON.parse(strictDecoder.decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { type, name, text } = value as Record<string, unknown>;
  if (type === "bye" || type === "welcome") return { type };
  if (typeof name !== "string" || nameProblem(name) !== null) return null;
  if (type === "leave" || type === "join") return { type, name };
  if (type !== "msg" || typeof text !== "string") return null;
  if (encoder.encode(text).length > MAX_TEXT_BYTES) return null;
  return { type, name, text };
}

const lenientDecoder = new TextDecoder();

/**
 * A datagram that is not a chat message, as text to show: the seeds' raw
 * chat sends plain text. Decoded leniently, cut at
 * {@linkcode MAX_TEXT_BYTES}, one trailing line ending dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawText } from "./message.ts";
 * assert.ok(rawText(new TextEncoder().encode("hi there\n")) === "hi there");
 * ```
 */
export function rawText(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes.subarray(0, MAX_TEXT_BYTES)).replace(
    /\r?\n$/,
    "",
  );
}
