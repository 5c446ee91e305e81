import assert from "node:assert/strict";
import { EarlyEof, FrameConnection } from "../../lib/exec/connection.ts";
import { encodeHeader, HEADROOM_BYTES } from "../../lib/exec/frame.ts";
import { concatBytes } from "../../lib/io/bytes.ts";
import { MemoryReader, MemoryWriter } from "../../lib/io/memory.ts";

function over(
  bytes: Uint8Array,
  chunkSize = Infinity,
  writer = new MemoryWriter(),
) {
  const reader = new MemoryReader(bytes, chunkSize);
  return new FrameConnection({
    read: (p) => reader.read(p),
    write: (p) => writer.write(p),
  });
}

Deno.test("FrameConnection reads header after header and bodies, one byte at a time", async () => {
  const body = new TextEncoder().encode("stdin!");
  const wire = concatBytes([
    encodeHeader({ cmd: "a", stdin_size: body.length }),
    body,
    encodeHeader({ cmd: "b" }),
  ]);
  const conn = over(wire, 1);
  assert.deepEqual(await conn.readHeader(), { cmd: "a", stdin_size: 6 });
  assert.deepEqual(await conn.readBody(6), body);
  assert.deepEqual(await conn.readHeader(), { cmd: "b" });
  assert.equal(await conn.readHeader(), null, "EOF between frames");
});

Deno.test("FrameConnection reads a body larger than its buffer, and reports how far a cut one got", async () => {
  const big = new Uint8Array(300_000).map((_, i) => i % 251);
  assert.deepEqual(await over(big, 1000).readBody(big.length), big);
  await assert.rejects(over(big.subarray(0, 10)).readBody(20), (err) => {
    assert.ok(err instanceof EarlyEof);
    assert.equal(err.got, 10);
    assert.equal(err.wanted, 20);
    return true;
  });
});

/** A FrameConnection that only writes, into memory, keeping each write's length. */
function writeCounting() {
  const writer = new MemoryWriter();
  const writes: number[] = [];
  const conn = new FrameConnection({
    read: () => Promise.resolve(null),
    write: (p) => {
      writes.push(p.length);
      return writer.write(p);
    },
  });
  return { writer, writes, conn };
}

Deno.test("FrameConnection writes a small frame and its body in one write, a large one in parts", async () => {
  const { writer, writes, conn } = writeCounting();
  await conn.write({ total_size: 2 }, new Uint8Array(2));
  assert.equal(writes.length, 1);
  await conn.write({ type: "stdout", size: 65_536 }, new Uint8Array(65_536));
  assert.equal(writes.length, 2, "a full 64 KiB chunk frame goes out whole");
  await conn.write({ total_size: 200_000 }, new Uint8Array(200_000));
  assert.equal(writes.length, 4, "header and body apart past 128 KiB");
  const again = over(writer.bytes());
  assert.deepEqual(await again.readHeader(), { total_size: 2 });
  assert.equal((await again.readBody(2)).length, 2);
  assert.deepEqual(await again.readHeader(), { type: "stdout", size: 65_536 });
  assert.equal((await again.readBody(65_536)).length, 65_536);
  assert.deepEqual(await again.readHeader(), { total_size: 200_000 });
});

Deno.test("FrameConnection.writeBefore() sends a header written into the body's headroom in one write; without room, as write() does", async () => {
  const { writer, writes, conn } = writeCounting();
  const buffer = new Uint8Array(HEADROOM_BYTES + 3);
  buffer.set([7, 8, 9], HEADROOM_BYTES);
  await conn.writeBefore(
    { type: "stdin", size: 3 },
    buffer,
    HEADROOM_BYTES,
    HEADROOM_BYTES + 3,
  );
  assert.equal(writes.length, 1);
  const cramped = new Uint8Array([1, 2, 3, 4, 5]);
  await conn.writeBefore({ type: "stdin", size: 2 }, cramped, 3, 5);
  assert.deepEqual(
    [...cramped],
    [1, 2, 3, 4, 5],
    "no room: the bytes before the body are left alone",
  );
  const again = over(writer.bytes());
  assert.deepEqual(await again.readHeader(), { type: "stdin", size: 3 });
  assert.deepEqual([...(await again.readBody(3))], [7, 8, 9]);
  assert.deepEqual(await again.readHeader(), { type: "stdin", size: 2 });
  assert.deepEqual(
    await again.withBody(2, (body) => Promise.resolve([...body])),
    [4, 5],
  );
  await assert.rejects(again.withBody(1, () => Promise.resolve()), EarlyEof);
});
