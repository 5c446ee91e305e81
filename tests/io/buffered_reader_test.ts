import assert from "node:assert/strict";
import { BufferedReader } from "../../lib/io/buffered_reader.ts";
import { MemoryReader, QueueReader } from "../../lib/io/memory.ts";

Deno.test("BufferedReader fills, takes and caps", async () => {
  const input = new BufferedReader(
    new MemoryReader(new Uint8Array([1, 2, 3, 4, 5]), 1),
    4,
  );
  assert.equal(await input.fill(4), "ok");
  assert.deepEqual([...input.take(3)], [1, 2, 3]);
  assert.equal(await input.fill(2), "ok");
  assert.equal(await input.fill(3), "eof");
  await assert.rejects(input.fill(5), RangeError);
});

Deno.test("BufferedReader appends a read once when a watch stops before it completes", async () => {
  const reader = new QueueReader();
  const input = new BufferedReader(reader, 1024);
  const stop = new AbortController();
  const watching = input.watchForEof(stop.signal);
  stop.abort();
  assert.equal(await watching, false);
  reader.push("abc");
  assert.equal(await input.fill(3), "ok");
  assert.equal(input.length, 3, "the bytes are buffered once, not twice");
  reader.close();
  assert.equal(await input.fill(4), "eof");
});

Deno.test("BufferedReader reports a pause without losing the read", async () => {
  const reader = new QueueReader();
  const input = new BufferedReader(reader, 1024);
  assert.equal(await input.fill(1, 10), "pause");
  reader.push("x");
  assert.equal(await input.fill(1, 1000), "ok");
  assert.equal(input.length, 1);
  reader.close();
});
