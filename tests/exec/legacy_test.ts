import assert from "node:assert/strict";
import { encodeHeader } from "../../lib/exec/frame.ts";
import {
  couldBeText,
  looksFramed,
  MAX_LEGACY_BYTES,
  readLegacyCommand,
  sniffRequest,
} from "../../lib/exec/legacy.ts";
import { BufferedReader } from "../../lib/io/buffered_reader.ts";
import { MemoryReader, QueueReader } from "../../lib/io/memory.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("looksFramed() and couldBeText() tell frames from legacy commands", () => {
  assert.ok(looksFramed(encodeHeader({ cmd: "x" })));
  for (const cmd of ["ls -l", "uname -a", "echo hi"]) {
    assert.ok(!looksFramed(encode(cmd)), cmd);
  }
  assert.ok(couldBeText(encode("ls\t-l\r\n")));
  assert.ok(!couldBeText(new Uint8Array([0x2a, 0x00])));
});

Deno.test("sniffRequest() tells a frame, a raw command, a frame's prefix sent slowly, and a client gone", async () => {
  const sniff = (bytes: Uint8Array, chunk = Infinity) =>
    sniffRequest(new BufferedReader(new MemoryReader(bytes, chunk), 1 << 16));
  assert.equal(await sniff(encodeHeader({ cmd: "x" })), "framed");
  assert.equal(await sniff(encodeHeader({ cmd: "x" }), 1), "framed");
  assert.equal(await sniff(encode("ls -l")), "legacy");
  const paused = new QueueReader();
  paused.push("ls");
  assert.equal(
    await sniffRequest(new BufferedReader(paused, 1 << 16)),
    "legacy",
    "short, then a pause",
  );
  paused.close();
  assert.equal(
    await sniff(encode("ls")),
    "gone",
    "short, then EOF: no request",
  );
  assert.equal(await sniff(new Uint8Array()), "gone");
});

Deno.test("readLegacyCommand() reads to the pause, drops the line ending, and refuses bad commands", async () => {
  const read = (bytes: Uint8Array) =>
    readLegacyCommand(new BufferedReader(new MemoryReader(bytes, 7), 1 << 20));
  assert.equal(await read(encode("uname -a\r\n")), "uname -a");
  await assert.rejects(read(new Uint8Array([0xff, 0xfe])), /not valid UTF-8/);
  await assert.rejects(read(encode("   ")), /empty/);
  await assert.rejects(
    read(new Uint8Array(MAX_LEGACY_BYTES + 10).fill(0x61)),
    /over 65536 bytes/,
  );
});
