import assert from "node:assert/strict";
import { FrameError } from "../../lib/exec/frame.ts";
import {
  clientExitCode,
  parseExecRequest,
  parseExecResponse,
} from "../../lib/exec/protocol.ts";

Deno.test("parseExecRequest() checks every field", () => {
  const limits = { maxStdin: 100 };
  assert.deepEqual(
    parseExecRequest({ cmd: "ls", timeout_ms: 5, token: "t" }, limits),
    {
      cmd: "ls",
      stdinSize: 0,
      token: "t",
      timeoutMs: 5,
    },
  );
  for (
    const bad of [
      {},
      { cmd: 1 },
      { cmd: "" },
      { cmd: "a\u0000b" },
      { cmd: "ls", token: 5 },
      { cmd: "ls", stdin_size: -1 },
      { cmd: "ls", stdin_size: 101 },
      { cmd: "ls", stdin_size: 1.5 },
      { cmd: "ls", timeout_ms: 0 },
      { cmd: "ls", timeout_ms: "5" },
    ]
  ) {
    assert.throws(
      () => parseExecRequest(bad, limits),
      FrameError,
      JSON.stringify(bad),
    );
  }
});

Deno.test("parseExecResponse() defaults sizes the seeds' servers leave out", () => {
  const r = parseExecResponse({ total_size: 5 }, 10);
  assert.equal(r.kind, "result");
  if (r.kind === "result") {
    assert.equal(r.stdout_size, 5);
    assert.equal(r.stderr_size, 0);
    assert.equal(r.exit_code, null);
  }
  assert.throws(
    () => parseExecResponse({ total_size: 1, error: "busy" }, 10),
    /total_size 0/,
  );
  assert.throws(
    () => parseExecResponse({ total_size: 0, exit_code: 1.5 }, 10),
    /exit_code/,
  );
  assert.throws(
    () => parseExecResponse({ total_size: 0, sha256: "xyz" }, 10),
    /sha256/,
  );
});

Deno.test("clientExitCode() follows ssh and timeout(1)", () => {
  assert.equal(
    clientExitCode({ exit_code: 3, signal: null, timed_out: false }),
    3,
  );
  assert.equal(
    clientExitCode({ exit_code: null, signal: "SIGTERM", timed_out: false }),
    143,
  );
  assert.equal(
    clientExitCode({ exit_code: null, signal: "SIGTERM", timed_out: true }),
    124,
  );
});
