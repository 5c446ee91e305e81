import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { OutputCapture, runCommand } from "../../lib/exec/runner.ts";
import { groupAlive, readPidFile } from "../_exec.ts";

const POSIX = requires("posix", "ps");
const sh = (script: string) => ({ program: "/bin/sh", args: ["-c", script] });
const limits = { stdin: new Uint8Array(), timeoutMs: 10_000, maxOutput: 1024 };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test(
  "runCommand() keeps stdout and stderr apart and reports the exit code",
  POSIX,
  async () => {
    const out = await runCommand(sh("echo out; echo err >&2; exit 3"), limits);
    assert.equal(text(out.kept.stdout), "out\n");
    assert.equal(text(out.kept.stderr), "err\n");
    assert.equal(out.exitCode, 3);
    assert.equal(out.signal, null);
    assert.equal(out.timedOut, false);
  },
);

Deno.test(
  "runCommand() feeds stdin and gives the command only PATH",
  POSIX,
  async () => {
    const out = await runCommand(sh("tr a-z A-Z; env | cut -d= -f1 | sort"), {
      ...limits,
      stdin: new TextEncoder().encode("hi\n"),
    });
    assert.equal(text(out.kept.stdout), "HI\nPATH\nPWD\n");
  },
);

Deno.test(
  "runCommand() stops the whole group at the time limit",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const started = performance.now();
      const run = runCommand(
        sh(`sleep 30 & echo $$ > ${dir}/pid; wait`),
        { ...limits, timeoutMs: 300, killGraceMs: 200 },
      );
      const pgid = await readPidFile(`${dir}/pid`);
      const out = await run;
      assert.equal(out.timedOut, true);
      assert.equal(out.signal, "SIGTERM");
      assert.ok(performance.now() - started < 5000);
      assert.equal(
        await groupAlive(pgid),
        false,
        "the background sleep died too",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "runCommand() stops a command past its output cap and keeps exactly the cap",
  POSIX,
  async () => {
    const out = await runCommand(sh("yes"), { ...limits, maxOutput: 1000 });
    assert.equal(out.truncated, true);
    assert.equal(out.sizes.stdout, 1000);
    assert.equal(out.kept.stdout.length, 1000);
  },
);

Deno.test(
  "runCommand() is cancelled by its signal, and a missing program is 127",
  POSIX,
  async () => {
    const controller = new AbortController();
    const run = runCommand(sh("sleep 30"), {
      ...limits,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const out = await run;
    assert.equal(out.cancelled, true);
    const missing = await runCommand(
      { program: "no-such-program-here", args: [] },
      limits,
    );
    assert.equal(missing.exitCode, 127);
    assert.match(
      text(missing.kept.stderr),
      /no-such-program-here: command not found/,
    );
  },
);

Deno.test("OutputCapture shares one budget between both streams", () => {
  let full = 0;
  const capture = new OutputCapture(5, () => full++);
  capture.add("stdout", new Uint8Array([1, 2, 3]));
  capture.add("stderr", new Uint8Array([4, 5, 6]));
  capture.add("stdout", new Uint8Array([7]));
  assert.deepEqual([...capture.bytes("stdout")], [1, 2, 3]);
  assert.deepEqual([...capture.bytes("stderr")], [4, 5]);
  assert.equal(capture.truncated, true);
  assert.equal(full, 1);
});
