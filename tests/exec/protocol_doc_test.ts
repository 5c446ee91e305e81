import assert from "node:assert/strict";
import { decodeHeader } from "../../lib/exec/frame.ts";

Deno.test("docs/PROTOCOL.md's streamed example exchange decodes to the frames it names", async () => {
  const doc = await Deno.readTextFile(
    new URL("../../docs/PROTOCOL.md", import.meta.url),
  );
  const example = doc.split("### Example exchange, in hex")[1]!;
  const blocks = [...example.matchAll(/```\n([0-9a-f \n]+)```/g)].map((m) =>
    Uint8Array.from(m[1]!.trim().split(/\s+/), (h) => parseInt(h, 16))
  );
  const decoded = blocks.map((bytes) => {
    const result = decodeHeader(bytes);
    assert.equal(result.kind, "header");
    if (result.kind !== "header") throw new Error("unreachable");
    return {
      header: result.header,
      body: new TextDecoder().decode(bytes.subarray(result.size)),
    };
  });
  assert.deepEqual(decoded, [
    { header: { cmd: "echo hi", stream: 1 }, body: "" },
    { header: { type: "stdout", size: 3 }, body: "hi\n" },
    { header: { type: "stdin", size: 3 }, body: "ab\n" },
  ]);
});
