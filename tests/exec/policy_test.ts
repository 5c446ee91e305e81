import assert from "node:assert/strict";
import { allowedCommand } from "../../lib/exec/policy.ts";

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
