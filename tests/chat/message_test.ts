import assert from "node:assert/strict";
import {
  decodeChat,
  encodeChat,
  MAX_TEXT_BYTES,
  nameProblem,
} from "../../lib/chat/message.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("chat messages round-trip", () => {
  for (
    const message of [
      { type: "msg", name: "alice", text: "hello 👋" },
      { type: "leave", name: "bob" },
      { type: "bye" },
    ] as const
  ) {
    assert.deepEqual(decodeChat(encodeChat(message)), message);
  }
});

Deno.test("decodeChat() refuses anything malformed", () => {
  for (
    const bad of [
      "",
      "hello",
      "null",
      "[]",
      '{"type":"msg","name":"a"}',
      '{"type":"msg","name":"","text":"x"}',
      '{"type":"msg","name":"a\\u0000","text":"x"}',
      '{"type":"msg","name":7,"text":"x"}',
      '{"type":"shout","name":"a","text":"x"}',
      `{"type":"msg","name":"a","text":"${"x".repeat(MAX_TEXT_BYTES + 1)}"}`,
    ]
  ) {
    assert.equal(decodeChat(encode(bad)), null, bad.slice(0, 60));
  }
  assert.equal(
    decodeChat(new Uint8Array([0x7b, 0xff, 0x7d])),
    null,
    "invalid UTF-8",
  );
});

Deno.test("nameProblem() bounds names", () => {
  assert.equal(nameProblem("a".repeat(32)), null);
  assert.match(nameProblem("a".repeat(33))!, /at most 32/);
  assert.match(nameProblem("a\tb")!, /control/);
});

Deno.test("a join and a welcome round-trip; a join needs a valid name", () => {
  const join = encodeChat({ type: "join", name: "alice" });
  assert.deepEqual(decodeChat(join), { type: "join", name: "alice" });
  assert.deepEqual(decodeChat(encodeChat({ type: "welcome" })), {
    type: "welcome",
  });
  assert.equal(
    decodeChat(new TextEncoder().encode('{"type":"join","name":""}')),
    null,
  );
});
