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
    const first = decode(stream.subarray(0, cut)).map((n) => n.offset);
    const second = decode(stream.subarray(cut)).map((n) => n.offset + cut);
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
    for (const note of decode(stream.subarray(i, i + 1))) {
      found.push(note.offset + i);
    }
  });
  assert.deepEqual(found, [0, secondFrameAt]);
});

Deno.test("execTraceDecoder() gives the header, its length and the body size, the token hidden", () => {
  const [request, reply] = execTraceDecoder()(stream);
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
  const notes = decode(encode("ls -la\n"));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!.text, /not an exec frame/);
  assert.deepEqual(decode(encode("more text")), []);
});
