import assert from "node:assert/strict";
import {
  decodeHeader,
  encodeHeader,
  FrameError,
  MAX_HEADER_BYTES,
  MAX_HEADER_DEPTH,
  parseHeaderJson,
} from "../../lib/exec/frame.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("decodeHeader() gives the same header whatever prefix of the bytes it sees", () => {
  const header = { cmd: "printf 'é😀'", token: "t", stdin_size: 3 };
  const frame = encodeHeader(header);
  for (let cut = 0; cut < frame.length; cut++) {
    const partial = decodeHeader(frame.subarray(0, cut));
    assert.equal(partial.kind, "incomplete", `cut at ${cut}`);
    if (partial.kind === "incomplete") assert.ok(partial.needed > cut);
  }
  const whole = decodeHeader(new Uint8Array([...frame, 1, 2, 3]));
  assert.deepEqual(whole, { kind: "header", header, size: frame.length });
});

Deno.test("the length prefix is 4 bytes little-endian, compatible with struct.pack('i', n)", () => {
  const frame = encodeHeader({ a: "x".repeat(300) });
  const n = frame.length - 4;
  assert.deepEqual([...frame.subarray(0, 4)], [
    n & 0xff,
    (n >> 8) & 0xff,
    0,
    0,
  ]);
});

Deno.test("decodeHeader() rejects lengths out of range before waiting for them", () => {
  for (
    const length of [0, 1, MAX_HEADER_BYTES + 1, 70_000, 0x7fffffff, 0xffffffff]
  ) {
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, length, true);
    assert.throws(() => decodeHeader(prefix), FrameError, `length ${length}`);
  }
  const max = new Uint8Array(4);
  new DataView(max.buffer).setUint32(0, MAX_HEADER_BYTES, true);
  assert.equal(decodeHeader(max).kind, "incomplete");
});

Deno.test("parseHeaderJson() refuses bad UTF-8, bad JSON, non-objects and __proto__ keys", () => {
  for (
    const bad of [
      new Uint8Array([0x7b, 0xff, 0x7d]),
      encode("{"),
      encode("[1]"),
      encode("null"),
      encode('"s"'),
      encode('{"__proto__":{}}'),
      encode('{"a":{"__proto__":{}}}'),
    ]
  ) {
    assert.throws(() => parseHeaderJson(bad), FrameError);
  }
});

Deno.test("encodeHeader() refuses a header over 64 KiB", () => {
  assert.throws(
    () => encodeHeader({ cmd: "x".repeat(MAX_HEADER_BYTES) }),
    RangeError,
  );
});

Deno.test("parseHeaderJson() bounds nesting at 32 levels without recursing", () => {
  const nested = (depth: number) =>
    new TextEncoder().encode(
      `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`,
    );
  assert.deepEqual(Object.keys(parseHeaderJson(nested(MAX_HEADER_DEPTH))), [
    "a",
  ]);
  for (const depth of [MAX_HEADER_DEPTH + 1, 5000, 30_000]) {
    assert.throws(
      () => parseHeaderJson(nested(depth)),
      (err: unknown) =>
        err instanceof FrameError &&
        err.message === "Header nests deeper than 32 levels",
      `depth ${depth}`,
    );
  }
  assert.throws(
    () =>
      parseHeaderJson(
        new TextEncoder().encode('{"a":[{"b":{"__proto__":1}}]}'),
      ),
    /"__proto__" key/,
  );
});
