import assert from "node:assert/strict";
import { FailureDelay, TokenCheck } from "../../lib/exec/auth.ts";

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
