import assert from "node:assert/strict";
import {
  copy,
  LineReader,
  MemoryReader,
  MemoryWriter,
  readFull,
  writeAll,
} from "../lib/io/streams.ts";
import { runPrompt } from "../lib/cli/client_io.ts";

const encode = (s: string) => new TextEncoder().encode(s);

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

Deno.test("copy() moves every byte with a small buffer", async () => {
  const input = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
  const out = new MemoryWriter();
  assert.equal(
    await copy(new MemoryReader(input, 7), out, { bufferSize: 13 }),
    input.length,
  );
  assert.deepEqual(out.bytes(), input);
});

Deno.test("readFull() stops at EOF and reports what it got", async () => {
  const buffer = new Uint8Array(10);
  assert.equal(
    await readFull(new MemoryReader(new Uint8Array([1, 2, 3]), 1), buffer),
    3,
  );
});

Deno.test("runPrompt() skips empty lines and stops at quit or EOF", async () => {
  for (
    const [input, expected] of [["a\n  \nb\nquit\nc\n", ["a", "b"]], ["x\ny", [
      "x",
      "y",
    ]]] as const
  ) {
    const seen: string[] = [];
    const out = new MemoryWriter();
    await runPrompt(
      {
        stdin: new MemoryReader(encode(input)),
        stdinIsTerminal: true,
        stdout: out,
        stderr: out,
      },
      "> ",
      (line) => Promise.resolve(void seen.push(line)),
    );
    assert.deepEqual(seen, expected);
    assert.ok(out.text().startsWith("> "));
  }
});
