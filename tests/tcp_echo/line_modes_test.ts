import assert from "node:assert/strict";
import {
  LineSplitter,
  transformLine,
  transformLineKeepingEnding,
} from "../../lib/tcp_echo/line_modes.ts";
import { upperAsciiBytes } from "../../lib/io/bytes.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("transformLine() uppercases and reverses Unicode text", () => {
  assert.equal(
    decode(transformLine("upper", encode("straße ΐ"))),
    "STRASSE \u0399\u0308\u0301",
  );
  assert.equal(decode(transformLine("reverse", encode("añb"))), "bña");
  // A family emoji (ZWJ sequence) and a combining accent stay whole when reversed.
  assert.equal(
    decode(transformLine("reverse", encode("e\u0301👨‍👩‍👧x"))),
    "x👨‍👩‍👧e\u0301",
  );
});

Deno.test("transformLine() handles invalid UTF-8 byte by byte", () => {
  const bytes = new Uint8Array([0x61, 0xff, 0x62, 0xc3]);
  assert.deepEqual(
    transformLine("upper", bytes),
    new Uint8Array([0x41, 0xff, 0x42, 0xc3]),
  );
  assert.deepEqual(
    transformLine("reverse", bytes),
    new Uint8Array([0xc3, 0x62, 0xff, 0x61]),
  );
  assert.deepEqual(
    bytes,
    new Uint8Array([0x61, 0xff, 0x62, 0xc3]),
    "input untouched",
  );
});

Deno.test("upperAsciiBytes() changes only a-z", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const upper = upperAsciiBytes(all);
  for (let i = 0; i < 256; i++) {
    assert.equal(upper[i], i >= 0x61 && i <= 0x7a ? i - 0x20 : i);
  }
});

Deno.test("transformLineKeepingEnding() keeps \\n and \\r\\n", () => {
  assert.equal(
    decode(transformLineKeepingEnding("upper", encode("ab\r\n"))),
    "AB\r\n",
  );
  assert.equal(
    decode(transformLineKeepingEnding("reverse", encode("ab\n"))),
    "ba\n",
  );
  assert.equal(
    decode(transformLineKeepingEnding("reverse", encode("ab"))),
    "ba",
  );
});

Deno.test("LineSplitter gives the same lines whatever the chunk boundaries", () => {
  const input = encode("one\ntwo 👍🏽\r\n\nthree");
  for (let cut1 = 0; cut1 <= input.length; cut1++) {
    for (let cut2 = cut1; cut2 <= input.length; cut2++) {
      const splitter = new LineSplitter(64);
      const lines = [
        ...splitter.push(input.slice(0, cut1)),
        ...splitter.push(input.slice(cut1, cut2)),
        ...splitter.push(input.slice(cut2)),
      ].map(decode);
      const last = splitter.flush();
      assert.deepEqual([...lines, last && decode(last)], [
        "one\n",
        "two 👍🏽\r\n",
        "\n",
        "three",
      ]);
    }
  }
});

Deno.test("LineSplitter rejects a line over its cap, in one chunk or many", () => {
  assert.throws(() => new LineSplitter(4).push(encode("abcdef\n")), RangeError);
  const splitter = new LineSplitter(4);
  splitter.push(encode("abc"));
  assert.throws(() => splitter.push(encode("de")), /Line longer than 4 bytes/);
  assert.equal(
    new LineSplitter(4).push(encode("abcd\n")).length,
    1,
    "exactly the cap is fine",
  );
});
