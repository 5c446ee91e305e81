/**
 * What a check expects of a reply, and the decision, made again on all the
 * bytes so far after every read: pass, fail (with what was expected and
 * what came), or not yet. A reply that comes in many reads is judged as if
 * it came in one. Pure.
 *
 * @module
 */

import { startsWithBytes } from "../io/bytes.ts";
import { parsePayload, showBytes } from "./values.ts";

/** One thing a reply must hold. */
export type Matcher =
  | { kind: "equals"; bytes: Uint8Array }
  | { kind: "contains"; bytes: Uint8Array }
  | { kind: "regex"; pattern: RegExp }
  | { kind: "json"; pointer: string; equals: unknown }
  | { kind: "bytes"; count: number };

/** A decision on the bytes so far. */
export type Verdict =
  | { kind: "pass" }
  | { kind: "fail"; expected: string; got: string }
  | { kind: "undecided" };

const MATCHER_KEYS = ["equals", "contains", "regex", "json", "bytes"];

/**
 * The matchers in an `expect:` (or `stdout:`) mapping; each bad one is
 * told to `problem` with its key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMatchers } from "./expect.ts";
 * const found = parseMatchers({ equals: "hi", bytes: 2 }, () => {});
 * assert.ok(found.length === 2 && found[0]!.kind === "equals");
 * ```
 */
export function parseMatchers(
  spec: Record<string, unknown>,
  problem: (key: string, message: string) => void,
): Matcher[] {
  const out: Matcher[] = [];
  for (const key of MATCHER_KEYS) {
    const value = spec[key];
    if (value === undefined) continue;
    if (key === "equals" || key === "contains") {
      const payload = parsePayload(value);
      if (typeof payload === "string" || payload.kind === "file") {
        problem(key, `${key}: takes text, or { hex: ... } or { base64: ... }`);
        continue;
      }
      out.push({
        kind: key,
        bytes: payload.kind === "text"
          ? new TextEncoder().encode(payload.text)
          : payload.bytes,
      });
    } else if (key === "regex") {
      if (typeof value !== "string") {
        problem(key, "regex: takes a regular expression as text");
        continue;
      }
      try {
        out.push({ kind: "regex", pattern: new RegExp(value) });
      } catch (err) {
        problem(key, `not a regular expression: ${(err as Error).message}`);
      }
    } else if (key === "json") {
      const json = value as Record<string, unknown>;
      if (
        typeof json !== "object" || json === null ||
        typeof json.pointer !== "string" || !("equals" in json) ||
        !/^(\/[^/]*)*$/.test(json.pointer)
      ) {
        problem(
          key,
          'json: is { pointer: "/path/to/value", equals: VALUE } (a JSON Pointer, "" for the whole reply)',
        );
        continue;
      }
      out.push({ kind: "json", pointer: json.pointer, equals: json.equals });
    } else if (key === "bytes") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        problem(key, "bytes: is how many bytes must arrive, a whole number");
        continue;
      }
      out.push({ kind: "bytes", count: value });
    }
  }
  return out;
}

/**
 * Decides every matcher on `bytes`, the whole reply so far; `ended` says
 * no more will come (the peer closed, the time or the byte cap ran out).
 * Passes when every matcher passes; fails at the first that fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { judge } from "./expect.ts";
 * const m = [{ kind: "contains" as const, bytes: new TextEncoder().encode("ok") }];
 * assert.ok(judge(m, new TextEncoder().encode("o"), false).kind === "undecided");
 * assert.ok(judge(m, new TextEncoder().encode("ok!"), false).kind === "pass");
 * assert.ok(judge(m, new TextEncoder().encode("no"), true).kind === "fail");
 * ```
 */
export function judge(
  matchers: readonly Matcher[],
  bytes: Uint8Array,
  ended: boolean,
): Verdict {
  let undecided = false;
  for (const matcher of matchers) {
    const verdict = judgeOne(matcher, bytes, ended);
    if (verdict.kind === "fail") return verdict;
    if (verdict.kind === "undecided") undecided = true;
  }
  return undecided ? { kind: "undecided" } : { kind: "pass" };
}

function judgeOne(m: Matcher, bytes: Uint8Array, ended: boolean): Verdict {
  const fail = (expected: string): Verdict => ({
    kind: "fail",
    expected,
    got: showBytes(bytes),
  });
  switch (m.kind) {
    case "equals": {
      if (bytes.length < m.bytes.length) {
        if (!startsWithBytes(m.bytes, bytes)) {
          return fail(`equals ${showBytes(m.bytes)}`);
        }
        return ended ? fail(`equals ${showBytes(m.bytes)}`) : UNDECIDED;
      }
      return bytes.length === m.bytes.length && startsWithBytes(bytes, m.bytes)
        ? PASS
        : fail(`equals ${showBytes(m.bytes)}`);
    }
    case "contains":
      if (indexOf(bytes, m.bytes) >= 0) return PASS;
      return ended ? fail(`contains ${showBytes(m.bytes)}`) : UNDECIDED;
    case "regex":
      // Each byte is one character (latin1): \xab matches the byte 0xab.
      if (m.pattern.test(latin1(bytes))) return PASS;
      return ended ? fail(`matches /${m.pattern.source}/`) : UNDECIDED;
    case "bytes":
      if (bytes.length >= m.count) return PASS;
      return ended ? fail(`at least ${m.count} bytes`) : UNDECIDED;
    case "json": {
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return ended
          ? fail(
            `JSON with ${m.pointer || "(root)"} = ${JSON.stringify(m.equals)}`,
          )
          : UNDECIDED;
      }
      const found = atPointer(value, m.pointer);
      return found.found && sameJson(found.value, m.equals) ? PASS : fail(
        `JSON with ${m.pointer || "(root)"} = ${JSON.stringify(m.equals)}`,
      );
    }
  }
}

const PASS: Verdict = { kind: "pass" };
const UNDECIDED: Verdict = { kind: "undecided" };

function indexOf(bytes: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (bytes[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * The value at a JSON Pointer (RFC 6901), walked step by step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atPointer } from "./expect.ts";
 * assert.deepEqual(atPointer({ a: [1, { "b/c": 2 }] }, "/a/1/b~1c"), { found: true, value: 2 });
 * assert.ok(!atPointer({ a: 1 }, "/b").found);
 * ```
 */
export function atPointer(
  root: unknown,
  pointer: string,
): { found: boolean; value?: unknown } {
  if (pointer === "") return { found: true, value: root };
  let value = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(value) && /^(0|[1-9]\d*)$/.test(key)) {
      if (Number(key) >= value.length) return { found: false };
      value = value[Number(key)];
    } else if (
      typeof value === "object" && value !== null && !Array.isArray(value) &&
      Object.hasOwn(value, key)
    ) {
      value = (value as Record<string, unknown>)[key];
    } else return { found: false };
  }
  return { found: true, value };
}

/** Whether two JSON values are equal (iteratively: a reply is untrusted). */
function sameJson(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (typeof x !== "object" || typeof y !== "object" || !x || !y) {
      return false;
    }
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x), ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([
        (x as Record<string, unknown>)[k],
        (y as Record<string, unknown>)[k],
      ]);
    }
  }
  return true;
}
