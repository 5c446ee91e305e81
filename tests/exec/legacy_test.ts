import assert from "node:assert/strict";
import { encodeHeader } from "../../lib/exec/frame.ts";
import { couldBeText, looksFramed } from "../../lib/exec/legacy.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("looksFramed() and couldBeText() tell frames from legacy commands", () => {
  assert.ok(looksFramed(encodeHeader({ cmd: "x" })));
  for (const cmd of ["ls -l", "uname -a", "echo hi"]) {
    assert.ok(!looksFramed(encode(cmd)), cmd);
  }
  assert.ok(couldBeText(encode("ls\t-l\r\n")));
  assert.ok(!couldBeText(new Uint8Array([0x2a, 0x00])));
});
