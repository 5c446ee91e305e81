import assert from "node:assert/strict";
import { BufferedConn } from "../lib/io/buffered_reader.ts";
import { FailureDelay, TokenCheck } from "../lib/exec/auth.ts";
import { allowedCommand } from "../lib/exec/server.ts";
import { JobSlots } from "../lib/exec/job_slots.ts";
import { formatSize, parseSize } from "../lib/cli/option.ts";
import { quoteWord, ShellWordsError, splitWords } from "../lib/exec/shell_words.ts";
import { MemoryReader, QueueReader } from "../lib/io/streams.ts";

Deno.test("splitWords() honours quotes and backslashes", () => {
  assert.deepEqual(splitWords(`a 'b c' "d \\"e\\"" f\\ g ''`), [
    "a",
    "b c",
    'd "e"',
    "f g",
    "",
  ]);
  assert.deepEqual(splitWords("  x\t y\n"), ["x", "y"]);
  assert.deepEqual(
    splitWords(`'$HOME;|'`),
    ["$HOME;|"],
    "single quotes make operators plain",
  );
});

Deno.test("splitWords() refuses shell operators and unclosed quotes", () => {
  for (
    const cmd of [
      "ls; rm -rf /tmp/x",
      "a | b",
      "a && b",
      "a > f",
      "$HOME",
      "`id`",
      '"$(id)"',
      "*.ts",
      "'open",
      '"open',
    ]
  ) {
    assert.throws(() => splitWords(cmd), ShellWordsError, cmd);
  }
});

Deno.test("quoteWord() round-trips through splitWords()", () => {
  const words = [
    "plain",
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "a;b",
    "",
    "é😀",
  ];
  assert.deepEqual(splitWords(words.map(quoteWord).join(" ")), words);
});

Deno.test("allowedCommand() checks the first word exactly", () => {
  assert.deepEqual(allowedCommand("ls -l /tmp", ["ls"]), {
    program: "ls",
    args: ["-l", "/tmp"],
  });
  assert.match(
    allowedCommand("/bin/ls", ["ls"]) as string,
    /not on this server's --allow list/,
  );
  assert.match(
    allowedCommand("ls; rm -rf /tmp/x", ["ls"]) as string,
    /Shell operator ";"/,
  );
  assert.match(allowedCommand("   ", ["ls"]) as string, /empty/);
});

Deno.test("JobSlots runs at most N, queues at most Q, and hands slots on in order", async () => {
  const slots = new JobSlots(2, 1);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const queued = slots.acquire();
  assert.equal(await slots.acquire(), null, "busy past the queue");
  assert.equal(slots.running, 2);
  assert.equal(slots.waiting, 1);
  a!();
  a!(); // Releasing twice gives back one slot only.
  const c = await queued;
  assert.ok(c);
  assert.equal(slots.running, 2);
  b!();
  c!();
  assert.equal(slots.running, 0);
});

Deno.test("JobSlots drops a waiter whose signal aborts", async () => {
  const slots = new JobSlots(1, 4);
  const held = await slots.acquire();
  const abort = new AbortController();
  const waiting = slots.acquire(abort.signal);
  abort.abort();
  assert.equal(await waiting, null);
  assert.equal(slots.waiting, 0);
  held!();
  assert.equal(slots.running, 0);
});

Deno.test("TokenCheck compares tokens; FailureDelay doubles up to its cap", () => {
  const check = new TokenCheck("abc");
  assert.ok(check.accepts("abc"));
  for (const bad of [undefined, "", "abcd", "ab", "ABC"]) {
    assert.ok(!check.accepts(bad));
  }
  const delay = new FailureDelay(2, 1000);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => delay.recordFailure("a")), [
    100,
    200,
    400,
    800,
    1000,
  ]);
  delay.recordSuccess("a");
  assert.equal(delay.recordFailure("a"), 100);
});

Deno.test("BufferedConn fills, takes and caps", async () => {
  const input = new BufferedConn(
    new MemoryReader(new Uint8Array([1, 2, 3, 4, 5]), 1),
    4,
  );
  assert.equal(await input.fill(4), "ok");
  assert.deepEqual([...input.take(3)], [1, 2, 3]);
  assert.equal(await input.fill(2), "ok");
  assert.equal(await input.fill(3), "eof");
  await assert.rejects(input.fill(5), RangeError);
});

Deno.test("BufferedConn appends a read once when a watch stops before it completes", async () => {
  const reader = new QueueReader();
  const input = new BufferedConn(reader, 1024);
  const stop = new AbortController();
  const watching = input.watchForEof(stop.signal);
  stop.abort();
  assert.equal(await watching, false);
  reader.push("abc");
  assert.equal(await input.fill(3), "ok");
  assert.equal(input.length, 3, "the bytes are buffered once, not twice");
  reader.close();
  assert.equal(await input.fill(4), "eof");
});

Deno.test("BufferedConn reports a pause without losing the read", async () => {
  const reader = new QueueReader();
  const input = new BufferedConn(reader, 1024);
  assert.equal(await input.fill(1, 10), "pause");
  reader.push("x");
  assert.equal(await input.fill(1, 1000), "ok");
  assert.equal(input.length, 1);
  reader.close();
});

Deno.test("parseSize() and formatSize() speak KiB, MiB and GiB", () => {
  assert.equal(parseSize("1KiB"), 1024);
  assert.equal(parseSize("16mib"), 16 * 1024 * 1024);
  assert.equal(parseSize("2 GiB"), 2 * 1024 ** 3);
  for (const bad of ["", "MiB", "-1", "1.5MiB", "3TB"]) {
    assert.ok(Number.isNaN(parseSize(bad)), bad);
  }
  assert.equal(formatSize(1536), "1536B");
  assert.equal(formatSize(3 * 1024 ** 3), "3GiB");
});
