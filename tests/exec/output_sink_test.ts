import assert from "node:assert/strict";
import { outputSink } from "../../lib/exec/stream_client.ts";
import { MemoryWriter } from "../../lib/io/memory.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("outputSink() --json prints a UTF-8 character split across two chunks whole, at every split point", async () => {
  const text = "a\u00e9b\u20ac\u{1f600}c";
  const all = bytes(text);
  for (let cut = 0; cut <= all.length; cut++) {
    const out = new MemoryWriter();
    const sink = outputSink({ stdout: out, stderr: new MemoryWriter() }, true);
    await sink("stdout", all.subarray(0, cut));
    await sink("stdout", all.subarray(cut));
    await sink.flush?.();
    const lines = out.text().trimEnd().split("\n").filter(Boolean);
    const data = lines.map((l) => JSON.parse(l).data).join("");
    assert.equal(data, text, `cut at ${cut}`);
    assert.ok(!data.includes("\ufffd"), `cut at ${cut}`);
  }
});

Deno.test("outputSink() --json keeps stdout and stderr apart, and shows a character cut off at the very end as U+FFFD", async () => {
  const out = new MemoryWriter();
  const sink = outputSink({ stdout: out, stderr: new MemoryWriter() }, true);
  await sink("stdout", bytes("\u00e9").subarray(0, 1));
  await sink("stderr", bytes("x"));
  await sink.flush?.();
  const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { type: "stderr", data: "x" },
    { type: "stdout", data: "\ufffd" },
  ]);
});
