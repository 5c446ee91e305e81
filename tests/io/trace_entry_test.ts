import assert from "node:assert/strict";
import { formatTraceEntry, type TraceEntry } from "../../lib/io/trace_entry.ts";

const entry = (bytes: Uint8Array, extra: Partial<TraceEntry> = {}) => ({
  seconds: 1.25,
  conn: 3,
  peer: "127.0.0.1:4000",
  direction: "recv" as const,
  kind: "stream" as const,
  bytes,
  ...extra,
});

Deno.test("formatTraceEntry() shows at most maxBytes of a chunk and counts the rest", () => {
  const bytes = new Uint8Array(1000).fill(0x41);
  const text = formatTraceEntry(entry(bytes), "text", 16);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "+1.250000s #3 127.0.0.1:4000 recv 1000 bytes");
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^00000000 {2}41 41 .*\|AAAAAAAAAAAAAAAA\|$/);
  assert.equal(lines[2], "... 984 more bytes not shown");
});

Deno.test("formatTraceEntry() as json gives one object with the shown bytes in hex", () => {
  const json = formatTraceEntry(
    entry(new TextEncoder().encode("hello"), { direction: "send" }),
    "json",
    3,
  );
  assert.ok(json.endsWith("\n") && !json.trimEnd().includes("\n"));
  assert.deepEqual(JSON.parse(json), {
    t: 1.25,
    conn: 3,
    peer: "127.0.0.1:4000",
    dir: "send",
    kind: "stream",
    bytes: 5,
    hex: "68656c",
    omitted: 2,
  });
});

Deno.test("formatTraceEntry() names an end of stream and a datagram", () => {
  assert.match(
    formatTraceEntry(entry(new Uint8Array(0), { kind: "eof" }), "text", 256),
    /recv end of stream\n$/,
  );
  assert.match(
    formatTraceEntry(
      entry(new Uint8Array(1), { kind: "datagram" }),
      "text",
      256,
    ),
    /recv datagram 1 byte\n/,
  );
});

Deno.test("formatTraceEntry() puts a decoder's notes under the dump", () => {
  const text = formatTraceEntry(
    entry(new Uint8Array(4), {
      notes: [{ offset: 2, text: "a frame", fields: { frame: "x" } }],
    }),
    "text",
    256,
  );
  assert.match(text, /\n {2}\^ at 2: a frame\n$/);
});
