import assert from "node:assert/strict";
import { execTraceDecoder } from "../../lib/exec/frame_trace.ts";
import { encodeHeader } from "../../lib/exec/frame.ts";
import { concatBytes } from "../../lib/io/bytes.ts";

const encode = (s: string) => new TextEncoder().encode(s);

/** A request with a 5-byte body, then a reply with a 3-byte body. */
const stream = concatBytes([
  encodeHeader({ cmd: "cat", stdin_size: 5, token: "secret" }),
  encode("hello"),
  encodeHeader({ total_size: 3, stdout_size: 3, stderr_size: 0 }),
  encode("hi\n"),
]);
const secondFrameAt = stream.length - 3 - encodeHeader({
  total_size: 3,
  stdout_size: 3,
  stderr_size: 0,
}).length;

Deno.test("execTraceDecoder() finds both frames however the stream is split in two", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const decode = execTraceDecoder();
    const first = decode(stream.subarray(0, cut)).notes.map((n) => n.offset);
    const second = decode(stream.subarray(cut)).notes.map((n) =>
      n.offset + cut
    );
    assert.deepEqual(
      [...first, ...second],
      [0, secondFrameAt],
      `cut at ${cut}`,
    );
  }
});

Deno.test("execTraceDecoder() finds both frames fed one byte at a time", () => {
  const decode = execTraceDecoder();
  const found: number[] = [];
  stream.forEach((_, i) => {
    for (const note of decode(stream.subarray(i, i + 1)).notes) {
      found.push(note.offset + i);
    }
  });
  assert.deepEqual(found, [0, secondFrameAt]);
});

Deno.test("execTraceDecoder() gives the header, its length and the body size, the token hidden", () => {
  const [request, reply] = execTraceDecoder()(stream).notes;
  assert.deepEqual(request!.fields.header, {
    cmd: "cat",
    stdin_size: 5,
    token: "(hidden)",
  });
  assert.equal(request!.fields.body_bytes, 5);
  assert.doesNotMatch(request!.text, /secret/);
  assert.equal(reply!.fields.body_bytes, 3);
});

Deno.test("execTraceDecoder() says once that the seeds' raw text is not framed", () => {
  const decode = execTraceDecoder();
  const { notes } = decode(encode("ls -la\n"));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!.text, /not an exec frame/);
  assert.deepEqual(decode(encode("more text")), { notes: [], hidden: [] });
});

/** The bytes of `bytes` the decoder hides, fed in the pieces `cuts` make. */
function hiddenBytes(bytes: Uint8Array, cuts: number[]): Set<number> {
  const decode = execTraceDecoder();
  const hidden = new Set<number>();
  const edges = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < edges.length; i++) {
    const [from, to] = [edges[i]!, edges[i + 1]!];
    for (const [start, end] of decode(bytes.subarray(from, to)).hidden) {
      for (let b = start; b < end; b++) hidden.add(from + b);
    }
  }
  return hidden;
}

/** Where `needle` sits in `bytes`. */
function rangeOf(bytes: Uint8Array, needle: string): [number, number] {
  const at = new TextDecoder("latin1").decode(bytes).indexOf(needle);
  assert.ok(at >= 0, `${needle} is in the stream`);
  return [at, at + needle.length];
}

Deno.test("execTraceDecoder() hides every byte of the token, and nothing but its value, at every split point", () => {
  const token = "s3cr3t-t0ken-value";
  const bytes = concatBytes([
    encodeHeader({ cmd: "cat", token, stdin_size: 3 }),
    encode("abc"),
    encodeHeader({ token: 'second"one', cmd: "ls" }),
  ]);
  const first = rangeOf(bytes, `"${token}"`);
  const second = rangeOf(bytes, `"second\\"one"`);
  const expected = new Set<number>();
  for (const [start, end] of [first, second]) {
    for (let b = start; b < end; b++) expected.add(b);
  }
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(hiddenBytes(bytes, [cut]), expected, `cut at ${cut}`);
  }
  for (let a = 0; a <= bytes.length; a += 3) {
    for (let b = a; b <= bytes.length; b += 5) {
      assert.deepEqual(hiddenBytes(bytes, [a, b]), expected, `cuts ${a}, ${b}`);
    }
  }
  const oneByOne = [...Array(bytes.length).keys()].slice(1);
  assert.deepEqual(hiddenBytes(bytes, oneByOne), expected, "a byte at a time");
});

Deno.test("execTraceDecoder() hides a token under an escaped key, and nests nothing past a value", () => {
  const header = encode(
    '{"tok\\u0065n": "abc", "cmd": "x", "env": {"token": "y"}}',
  );
  const frameBytes = new Uint8Array(4 + header.length);
  new DataView(frameBytes.buffer).setUint32(0, header.length, true);
  frameBytes.set(header, 4);
  const hidden = hiddenBytes(frameBytes, []);
  const [start, end] = rangeOf(frameBytes, ' "abc"');
  assert.deepEqual(
    [...hidden],
    [...Array(end - start).keys()].map((i) => start + i),
    "only the top-level token's value",
  );
});
