import assert from "node:assert/strict";
import { upperDatagram } from "../../lib/udp_upper/upper.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("upperDatagram() uppercases ASCII and Unicode text", () => {
  assert.equal(decode(upperDatagram(encode("sally"))), "SALLY");
  assert.equal(decode(upperDatagram(encode("straße"))), "STRASSE"); // ß (2 bytes) -> SS (2 bytes)
  assert.equal(decode(upperDatagram(encode("añb é"))), "AÑB É");
  assert.equal(decode(upperDatagram(encode("𐐨x😀"))), "𐐀X😀"); // Deseret: 4-byte letters
});

Deno.test("upperDatagram() keeps a character whose uppercase form is longer", () => {
  assert.equal(decode(upperDatagram(encode("ΐ"))), "ΐ"); // toUpperCase() gives 6 bytes
  assert.equal(decode(upperDatagram(encode("ŉa"))), "ŉA"); // ŉ -> ʼN is 3 bytes
  assert.equal(
    "ΐ".toUpperCase().length > 1,
    true,
    "the rule is needed on this engine",
  );
});

Deno.test("upperDatagram() is never longer than its request, for every code point", () => {
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const request = encode(`a${String.fromCodePoint(cp)}z`);
    const reply = upperDatagram(request);
    assert.ok(reply.length <= request.length, `U+${cp.toString(16)}`);
  }
});

Deno.test("upperDatagram() uppercases only ASCII letters in invalid UTF-8", () => {
  const request = new Uint8Array([0x61, 0xc3, 0x28, 0x7a, 0xff, 0xe2, 0x82]);
  assert.deepEqual(
    upperDatagram(request),
    new Uint8Array([0x41, 0xc3, 0x28, 0x5a, 0xff, 0xe2, 0x82]),
  );
});

Deno.test("upperDatagram() answers an empty datagram with an empty one", () => {
  assert.equal(upperDatagram(new Uint8Array()).length, 0);
});
