import assert from "node:assert/strict";
import { runSockit } from "../_sockit.ts";

Deno.test("e2e: sockit demo passes every check, prints a transcript and a table", async () => {
  const result = await runSockit(["demo"], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^SERVICE +CHECK +RESULT +TIME$/m);
  const rows = result.stdout.split("\n").filter((l) =>
    /^\S+ {2,}.+ {2,}(ok|FAILED) {2,}[\d.]+ ms$/.test(l)
  );
  assert.ok(rows.length >= 8, result.stdout);
  assert.ok(rows.every((r) => / ok /.test(r)), result.stdout);
  assert.match(
    result.stdout,
    new RegExp(`^All ${rows.length} checks passed$`, "m"),
  );
  assert.match(result.stdout, /^\$ sockit tcp-echo client /m);
});
