import assert from "node:assert/strict";
import { FailureDelay, TokenCheck } from "../../lib/exec/auth.ts";
import { allowedCommand, decide } from "../../lib/exec/policy.ts";
import type { RunRequest } from "../../lib/exec/protocol.ts";

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

const run = (cmd: string, token?: string): RunRequest => ({
  kind: "run",
  cmd,
  reply: "single",
  stdin: { size: 0 },
  ...(token === undefined ? {} : { token }),
});

Deno.test("decide() turns a request into a plan: /bin/sh, or the allowed program with no shell", async () => {
  const open = {
    token: new TokenCheck(undefined),
    failures: new FailureDelay(),
  };
  assert.deepEqual(await decide(run("echo hi"), "127.0.0.1", open), {
    kind: "run",
    commandLine: { program: "/bin/sh", args: ["-c", "echo hi"] },
    timeoutMs: 30_000,
  });
  const listed = { ...open, allow: ["echo"], timeoutMs: 5000 };
  const plan = await decide(
    { ...run("echo hi"), timeoutMs: 100 },
    "127.0.0.1",
    listed,
  );
  assert.deepEqual(plan, {
    kind: "run",
    commandLine: { program: "echo", args: ["hi"] },
    timeoutMs: 100,
  }, "the client may only lower the time limit");
  const refused = await decide(run("rm -rf /tmp/x"), "127.0.0.1", listed);
  assert.equal(refused.kind === "refuse" && refused.code, "not_allowed");
});

Deno.test("decide() refuses a missing or wrong token, slower each time, and raw commands when a token is set", async () => {
  const policy = {
    token: new TokenCheck("s3cret"),
    failures: new FailureDelay(),
  };
  const missing = await decide(run("true"), "10.0.0.1", policy);
  assert.deepEqual(missing, {
    kind: "refuse",
    code: "unauthorized",
    message: "The token is missing",
    close: false,
  });
  const started = performance.now();
  const wrong = await decide(run("true", "guess"), "10.0.0.1", policy);
  assert.equal(wrong.kind === "refuse" && wrong.message, "The token is wrong");
  assert.ok(
    performance.now() - started >= 190,
    "the second failure waits 200 ms",
  );
  assert.equal(
    (await decide(run("true", "s3cret"), "10.0.0.1", policy)).kind,
    "run",
  );
  const legacy = await decide(
    { ...run("true"), legacy: true },
    "10.0.0.1",
    policy,
  );
  assert.equal(legacy.kind === "refuse" && legacy.close, true);
});
