/**
 * The small values of a `sockit check` plan: durations (`200ms`, `5s`,
 * `30d`) and what a check sends (text, hex, base64, a file, or nothing).
 * Pure.
 *
 * @module
 */

/** What a check sends: text (variables filled in later), bytes, or a file read when it runs. */
export type Payload =
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "file"; path: string };

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A duration in ms from `200ms`, `1.5s`, `2m`, `1h`, `30d`, or a number of
 * seconds; `undefined` if it is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./values.ts";
 * assert.ok(parseDuration("200ms") === 200 && parseDuration(2) === 2000 && parseDuration("30d") === 2_592_000_000);
 * assert.ok(parseDuration("soon") === undefined);
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") {
    return value >= 0 && Number.isFinite(value) ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  const match = value.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

/**
 * What to send, from a plan's `send:`: text, or `{text}`, `{hex}`,
 * `{base64}`, `{file}`; a string saying what is wrong otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePayload } from "./values.ts";
 * const hex = parsePayload({ hex: "ab cd" });
 * assert.ok(typeof hex !== "string" && hex.kind === "bytes" && hex.bytes[1] === 0xcd);
 * assert.ok(typeof parsePayload({ hex: "xyz" }) === "string");
 * ```
 */
export function parsePayload(value: unknown): Payload | string {
  if (typeof value === "string") return { kind: "text", text: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'send: is text, or one of { text: ... }, { hex: "abcd" }, { base64: ... }, { file: PATH }';
  }
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    return "send: takes one of text:, hex:, base64:, file:";
  }
  const [key, raw] = entries[0]!;
  if (typeof raw !== "string") return `send: ${key}: takes text`;
  switch (key) {
    case "text":
      return { kind: "text", text: raw };
    case "file":
      return { kind: "file", path: raw };
    case "hex": {
      const hex = raw.replace(/\s+/g, "");
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
        return 'send: hex: takes pairs of hex digits, e.g. "abcd0100"';
      }
      return {
        kind: "bytes",
        bytes: Uint8Array.from(
          hex.match(/../g) ?? [],
          (pair) => parseInt(pair, 16),
        ),
      };
    }
    case "base64":
      try {
        return {
          kind: "bytes",
          bytes: Uint8Array.from(
            atob(raw.replace(/\s+/g, "")),
            (c) => c.charCodeAt(0),
          ),
        };
      } catch {
        return "send: base64: is not valid base64";
      }
    default:
      return `send: has no "${key}"; use text:, hex:, base64: or file:`;
  }
}

/**
 * Bytes as a person reads them in a failure line: text when they are
 * printable UTF-8, else hex; at most `max` bytes shown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { showBytes } from "./values.ts";
 * assert.ok(showBytes(new TextEncoder().encode("hi\n")) === '"hi\\n"');
 * assert.ok(showBytes(new Uint8Array([0xab, 0xcd])) === "hex abcd");
 * ```
 */
export function showBytes(bytes: Uint8Array, max = 200): string {
  const shown = bytes.subarray(0, max);
  const more = bytes.length > max ? ` (+${bytes.length - max} bytes)` : "";
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(shown);
    // deno-lint-ignore no-control-regex -- control bytes are what makes text binary.
    if (!/[\x00-\x08\x0e-\x1f\x7f]/.test(text)) {
      return JSON.stringify(text) + more;
    }
  } catch {
    // Not UTF-8: hex.
  }
  return `hex ${
    Array.from(shown, (b) => b.toString(16).padStart(2, "0")).join("")
  }${more}`;
}
