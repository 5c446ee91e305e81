import assert from "node:assert/strict";
import { QUIET_READS, ReadBuffer } from "../../lib/io/read_buffer.ts";

Deno.test("ReadBuffer grows four times on each full read, to its cap and no further", () => {
  const buffer = new ReadBuffer(2048, 256 * 1024);
  const sizes = [buffer.bytes.length];
  for (let i = 0; i < 6; i++) {
    buffer.took(buffer.bytes.length);
    sizes.push(buffer.bytes.length);
  }
  assert.deepEqual(sizes, [
    2048,
    8192,
    32768,
    131072,
    262144,
    262144,
    262144,
  ]);
});

Deno.test("ReadBuffer halves after a run of quiet reads, back to its start size, and a middling read breaks the run", () => {
  const buffer = new ReadBuffer(2048, 32768);
  buffer.took(2048);
  buffer.took(8192);
  assert.equal(buffer.bytes.length, 32768);
  for (let i = 0; i < QUIET_READS - 1; i++) buffer.took(10);
  buffer.took(10_000); // Not quiet: a quarter or more.
  for (let i = 0; i < QUIET_READS - 1; i++) buffer.took(10);
  assert.equal(buffer.bytes.length, 32768, "the run was broken");
  buffer.took(10);
  assert.equal(buffer.bytes.length, 16384);
  for (let i = 0; i < 10 * QUIET_READS; i++) buffer.took(1);
  assert.equal(buffer.bytes.length, 2048, "never below the start size");
});

Deno.test("ReadBuffer grows no further than its limit says now, and on past it once the limit rises", () => {
  let limit = 8192;
  const buffer = new ReadBuffer(2048, 262144, () => limit);
  for (let i = 0; i < 4; i++) buffer.took(buffer.bytes.length);
  assert.equal(buffer.bytes.length, 8192, "held at the limit");
  limit = 262144;
  buffer.took(buffer.bytes.length);
  assert.equal(buffer.bytes.length, 32768, "growing again");
});
