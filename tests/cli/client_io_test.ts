import assert from "node:assert/strict";
import { MemoryReader, MemoryWriter } from "../../lib/io/memory.ts";
import { runPrompt } from "../../lib/cli/client_io.ts";

const encode = (s: string) => new TextEncoder().encode(s);

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
