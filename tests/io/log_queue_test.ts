import assert from "node:assert/strict";
import { LineQueue } from "../../lib/io/log_queue.ts";
import { MemoryWriter } from "../../lib/io/memory.ts";

/** A writer whose writes wait until released, like a pipe nobody reads. */
class StalledWriter extends MemoryWriter {
  #released = Promise.withResolvers<void>();
  writes = 0;

  override async write(p: Uint8Array): Promise<number> {
    this.writes++;
    await this.#released.promise;
    return await super.write(p);
  }

  release(): void {
    this.#released.resolve();
  }
}

Deno.test("LineQueue writes every line, in order, and flush() says when it is done", async () => {
  const out = new MemoryWriter();
  const queue = new LineQueue(out);
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
  for (const line of lines) queue.push(line);
  assert.equal(await queue.flush(5000), true);
  assert.equal(out.text(), lines.map((l) => l + "\n").join(""));
});

Deno.test("LineQueue never waits for a stalled writer: past its bound it drops and counts", async () => {
  const out = new StalledWriter();
  const queue = new LineQueue(out, { maxBytes: 100 });
  const line = "x".repeat(9); // 10 bytes with its newline
  for (let i = 0; i < 50; i++) queue.push(line);
  assert.equal(out.writes, 1, "one write in flight, the rest queued");
  assert.equal(queue.dropped, 40, "10 lines of 10 bytes fit in 100 bytes");
  assert.equal(
    await queue.flush(50),
    false,
    "flush gives up on a stalled writer",
  );
  out.release();
  assert.equal(await queue.flush(5000), true);
  assert.equal(
    out.text(),
    `${line}\n`.repeat(10) +
      "sockit: 40 log lines dropped: stderr is not keeping up\n",
  );
  queue.push("after");
  assert.equal(await queue.flush(5000), true);
  assert.ok(out.text().endsWith("stderr is not keeping up\nafter\n"));
  assert.equal(queue.dropped, 0);
});

Deno.test("LineQueue counts a line larger than its bound as dropped, and keeps going", async () => {
  const out = new MemoryWriter();
  const queue = new LineQueue(out, {
    maxBytes: 16,
    droppedLine: (n) => `dropped=${n}`,
  });
  queue.push("a".repeat(100));
  queue.push("small");
  assert.equal(await queue.flush(5000), true);
  assert.equal(out.text(), "small\ndropped=1\n");
});

Deno.test("LineQueue goes quiet when its output fails, without throwing", async () => {
  let writes = 0;
  const broken = {
    write(): Promise<number> {
      writes++;
      return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    },
  };
  const queue = new LineQueue(broken);
  queue.push("one");
  assert.equal(await queue.flush(5000), true);
  queue.push("two");
  assert.equal(await queue.flush(5000), true);
  assert.equal(writes, 1, "no write is tried once the output has failed");
});

Deno.test("LineQueue keeps important lines past the routine bound, up to twice it", async () => {
  const out = new StalledWriter();
  const queue = new LineQueue(out, {
    maxBytes: 20,
    droppedLine: (n) => `dropped=${n}`,
  });
  for (let i = 0; i < 5; i++) queue.push("routine"); // 8 bytes each: 2 fit
  queue.push("warning", "important"); // 24 <= 40
  queue.push("stopped", "important"); // 32 <= 40
  queue.push("another", "important"); // 40 <= 40
  queue.push("too many", "important"); // 49 > 40: dropped
  assert.equal(queue.dropped, 4);
  out.release();
  assert.equal(await queue.flush(5000), true);
  assert.equal(
    out.text(),
    "routine\nroutine\nwarning\nstopped\nanother\ndropped=4\n",
  );
});
