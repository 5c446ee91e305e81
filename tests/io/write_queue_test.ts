import assert from "node:assert/strict";
import { WriteQueue } from "../../lib/io/write_queue.ts";
import { MemoryWriter } from "../../lib/io/memory.ts";

/** A writer whose writes wait until `release()` is called, counting them. */
function gatedWriter() {
  const out = new MemoryWriter();
  const waiting: Array<() => void> = [];
  let writes = 0;
  return {
    out,
    get writes() {
      return writes;
    },
    get pending() {
      return waiting.length;
    },
    release() {
      waiting.shift()?.();
    },
    writer: {
      write: async (p: Uint8Array) => {
        writes++;
        await new Promise<void>((resolve) => waiting.push(resolve));
        return await out.write(p);
      },
    },
  };
}

Deno.test("WriteQueue gathers chunks written while a write is in flight into the next write, in order", async () => {
  const gate = gatedWriter();
  const queue = new WriteQueue(gate.writer, 1024);
  const chunk = new Uint8Array([1]);
  await queue.write(chunk); // In flight now.
  for (let i = 2; i <= 5; i++) {
    chunk[0] = i; // The queue copied the last: reusing the buffer is safe.
    await queue.write(chunk);
  }
  assert.equal(gate.writes, 1, "the first write is still in flight");
  gate.release();
  const flushed = queue.flush();
  while (gate.pending === 0) await Promise.resolve();
  gate.release();
  await flushed;
  assert.equal(gate.writes, 2, "four chunks went out as one write");
  assert.deepEqual([...gate.out.bytes()], [1, 2, 3, 4, 5]);
});

Deno.test("WriteQueue makes a writer wait once the cap is queued, and goes on when the write completes", async () => {
  const gate = gatedWriter();
  const queue = new WriteQueue(gate.writer, 4);
  await queue.write(new Uint8Array(4)); // In flight.
  await queue.write(new Uint8Array(4)); // Fills the other buffer.
  let done = false;
  const third = queue.write(new Uint8Array([9])).then(() => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(done, false, "nothing more fits while both buffers are taken");
  gate.release();
  await third;
  while (gate.pending === 0) await Promise.resolve();
  gate.release();
  const flushed = queue.flush();
  while (gate.pending === 0) await Promise.resolve();
  gate.release();
  await flushed;
  assert.equal(gate.out.bytes().length, 9);
});

Deno.test("WriteQueue fails every later call once a write fails", async () => {
  const queue = new WriteQueue({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("gone")),
  }, 16);
  await queue.write(new Uint8Array([1]));
  await assert.rejects(queue.flush(), Deno.errors.BrokenPipe);
  await assert.rejects(
    queue.write(new Uint8Array([2])),
    Deno.errors.BrokenPipe,
  );
});
