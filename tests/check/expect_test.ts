import assert from "node:assert/strict";
import { judge, type Matcher } from "../../lib/check/expect.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `reply` in two reads cut at `cut`, judging after each as the reader does. */
function judgedInTwo(matchers: Matcher[], reply: Uint8Array, cut: number) {
  const first = judge(matchers, reply.subarray(0, cut), false);
  if (first.kind !== "undecided") return first;
  const whole = judge(matchers, reply, false);
  return whole.kind === "undecided" ? judge(matchers, reply, true) : whole;
}

Deno.test("a reply split at any point is judged exactly as the same reply in one read", () => {
  const reply = bytes('{"status":{"ok":true},"note":"caf\u00e9"}\n');
  const sets: Matcher[][] = [
    [{ kind: "equals", bytes: reply }],
    [{ kind: "contains", bytes: bytes('"ok":true') }],
    [{ kind: "regex", pattern: /"note":"caf/ }],
    [{ kind: "json", pointer: "/status/ok", equals: true }],
    [{ kind: "bytes", count: reply.length }],
    [{ kind: "equals", bytes: bytes("something else") }],
    [{ kind: "json", pointer: "/status/ok", equals: false }],
  ];
  for (const matchers of sets) {
    const whole = judge(matchers, reply, true);
    for (let cut = 0; cut <= reply.length; cut++) {
      const split = judgedInTwo(matchers, reply, cut);
      // The same decision and the same expectation; a failure may be said
      // before the rest arrives, so what came may be shorter.
      assert.equal(
        split.kind,
        whole.kind,
        `${matchers[0]!.kind} cut at ${cut}`,
      );
      if (split.kind === "fail" && whole.kind === "fail") {
        assert.equal(split.expected, whole.expected);
      }
    }
  }
});

Deno.test("equals decides as soon as the bytes so far cannot become the expected ones", () => {
  const m: Matcher[] = [{ kind: "equals", bytes: bytes("ping\n") }];
  assert.equal(judge(m, bytes("pi"), false).kind, "undecided");
  assert.equal(judge(m, bytes("pa"), false).kind, "fail");
  assert.equal(judge(m, bytes("ping\nmore"), false).kind, "fail");
  assert.equal(judge(m, bytes("pi"), true).kind, "fail");
});

Deno.test("regex sees bytes one for one: \\xab matches the byte 0xab", () => {
  const m: Matcher[] = [{ kind: "regex", pattern: /^\xab\xcd/ }];
  assert.equal(judge(m, new Uint8Array([0xab, 0xcd, 1]), true).kind, "pass");
  assert.equal(judge(m, new Uint8Array([0xab, 0xce]), true).kind, "fail");
});
