import assert from "node:assert/strict";
import { formatErrorLine } from "../../lib/io/errors.ts";

Deno.test("formatErrorLine() lowers only a sentence-case first letter", () => {
  assert.equal(formatErrorLine("Cannot connect"), "sockit: cannot connect");
  assert.equal(formatErrorLine("UDP down"), "sockit: UDP down");
});
