import assert from "node:assert/strict";
import { ReplyPrinter } from "../../lib/exec/reply.ts";
import { MemoryWriter } from "../../lib/io/memory.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const exited = {
  result: {
    stdout_size: 0,
    stderr_size: 0,
    exit_code: 0,
    signal: null,
    timed_out: false,
    truncated: false,
    duration_ms: 1,
  },
  stdout: new Uint8Array(),
  stderr: new Uint8Array(),
  streamed: true,
  sha256: null,
};

Deno.test("ReplyPrinter --json prints a UTF-8 character split across two chunks whole, at every split point", async () => {
  const text = "a\u00e9b\u20ac\u{1f600}c";
  const all = bytes(text);
  for (let cut = 0; cut <= all.length; cut++) {
    const out = new MemoryWriter();
    const sink = new ReplyPrinter(
      { stdout: out, stderr: new MemoryWriter() },
      true,
    );
    await sink.chunk("stdout", all.subarray(0, cut));
    await sink.chunk("stdout", all.subarray(cut));
    await sink.finish(exited);
    const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).type, "exit");
    const data = lines.slice(0, -1).map((l) => l.data).join("");
    assert.equal(data, text, `cut at ${cut}`);
    assert.ok(!data.includes("\ufffd"), `cut at ${cut}`);
  }
});

Deno.test("ReplyPrinter --json keeps stdout and stderr apart, and shows a character cut off at the very end as U+FFFD", async () => {
  const out = new MemoryWriter();
  const sink = new ReplyPrinter(
    { stdout: out, stderr: new MemoryWriter() },
    true,
  );
  await sink.chunk("stdout", bytes("\u00e9").subarray(0, 1));
  await sink.chunk("stderr", bytes("x"));
  await sink.finish(exited);
  const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { type: "stderr", data: "x" },
    { type: "stdout", data: "\ufffd" },
    { type: "exit", ...exited.result },
  ]);
});

Deno.test("ReplyPrinter prints raw chunks in the order they came, each stream to its own output", async () => {
  const order: string[] = [];
  const writer = (name: string) => ({
    write: async (p: Uint8Array) => {
      await new Promise((resolve) =>
        setTimeout(resolve, name === "out" ? 5 : 0)
      );
      order.push(`${name}:${new TextDecoder().decode(p)}`);
      return p.length;
    },
  });
  const printer = new ReplyPrinter(
    { stdout: writer("out"), stderr: writer("err") },
    false,
  );
  await printer.chunk("stdout", bytes("a"));
  await printer.chunk("stderr", bytes("b"));
  await printer.chunk("stdout", bytes("c"));
  assert.equal(
    await printer.finish({
      ...exited,
      result: { ...exited.result, exit_code: 4 },
    }),
    4,
  );
  assert.deepEqual(order, ["out:a", "err:b", "out:c"]);
});
