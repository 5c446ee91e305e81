import assert from "node:assert/strict";
import { LineReader } from "../../lib/io/lines.ts";
import { MemoryReader } from "../../lib/io/memory.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("LineReader reads the same lines from a one-byte-at-a-time reader", async () => {
  const input = encode("alpha\r\nbeta 👍🏽\n\ngamma");
  for (const chunkSize of [1, 2, 3, 1000]) {
    const lines = new LineReader(new MemoryReader(input, chunkSize));
    const got: (string | null)[] = [];
    for (let i = 0; i < 5; i++) got.push(await lines.readLine());
    assert.deepEqual(
      got,
      ["alpha", "beta 👍🏽", "", "gamma", null],
      `chunk size ${chunkSize}`,
    );
  }
});

Deno.test("LineReader refuses a line over its cap", async () => {
  const lines = new LineReader(
    new MemoryReader(new Uint8Array(100).fill(0x61)),
    10,
  );
  await assert.rejects(lines.readLine(), RangeError);
});
