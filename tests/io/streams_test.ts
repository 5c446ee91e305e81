import assert from "node:assert/strict";
import { copy, readFull, writeAll } from "../../lib/io/streams.ts";
import { MemoryReader, MemoryWriter } from "../../lib/io/memory.ts";

Deno.test("writeAll() loops over short writes", async () => {
  const got: number[] = [];
  const oneByteWriter = {
    write(p: Uint8Array) {
      got.push(p[0]!);
      return Promise.resolve(1);
    },
  };
  await writeAll(oneByteWriter, new Uint8Array([5, 6, 7, 8]));
  assert.deepEqual(got, [5, 6, 7, 8]);
});

Deno.test("copy() moves every byte, in small reads and in large ones", async () => {
  const input = Uint8Array.from({ length: 1_000_000 }, (_, i) => i % 251);
  const out = new MemoryWriter();
  assert.equal(
    await copy(new MemoryReader(input, 7), out),
    input.length,
  );
  assert.deepEqual(out.bytes(), input);
  const whole = new MemoryWriter();
  assert.equal(await copy(new MemoryReader(input), whole), input.length);
  assert.deepEqual(whole.bytes(), input);
});

Deno.test("readFull() stops at EOF and reports what it got", async () => {
  const buffer = new Uint8Array(10);
  assert.equal(
    await readFull(new MemoryReader(new Uint8Array([1, 2, 3]), 1), buffer),
    3,
  );
});
