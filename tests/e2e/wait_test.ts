import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { withTimeout } from "../_helpers.ts";
import { runSockit } from "../_sockit.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}

Deno.test("e2e: wait succeeds for a port that opens after a delay", async () => {
  const port = freePort();
  const waiting = runSockit([
    "wait",
    `tcp://127.0.0.1:${port}`,
    "--timeout",
    "20",
  ]);
  // The scenario under test: the server comes up a moment after wait has started polling.
  await new Promise((resolve) => setTimeout(resolve, 300));
  using listener = Deno.listen({ hostname: "127.0.0.1", port });
  const accepting = (async () => {
    for await (const conn of listener) {
      conn.close();
      break;
    }
  })();
  const result = await withTimeout(waiting, 25_000, "sockit wait");
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    new RegExp(`^ready: tcp://127\\.0\\.0\\.1:${port} \\([\\d.]+ s\\)\\n$`),
  );
  await accepting;
});

Deno.test("e2e: wait gives up on a port that never opens, within its timeout, listing it", async () => {
  const port = freePort();
  const started = performance.now();
  const result = await runSockit([
    "wait",
    `127.0.0.1:${port}`,
    "--timeout",
    "0.5",
  ]);
  const elapsed = performance.now() - started;
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `sockit: not up within 0.5 s: tcp://127.0.0.1:${port} (connection refused)\n`,
  );
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
});

Deno.test(
  "e2e: wait takes several addresses at once, TCP and unix",
  requires("posix"),
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      using a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      using b = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      using unix = Deno.listen({ transport: "unix", path: `${dir}/s.sock` });
      const drain = (listener: Deno.Listener) =>
        (async () => {
          for await (const conn of listener) conn.close();
        })().catch(() => {});
      const draining = [drain(a), drain(b), drain(unix)];
      const targets = [
        `tcp://127.0.0.1:${a.addr.port}`,
        `127.0.0.1:${b.addr.port}`,
        `unix:${dir}/s.sock`,
      ];
      const ok = await runSockit(["wait", ...targets, "--timeout", "10"]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim().split("\n").length, 3);
      const down = freePort();
      const mixed = await runSockit([
        "wait",
        targets[0]!,
        `127.0.0.1:${down}`,
        `unix:${dir}/none.sock`,
        "--timeout",
        "0.3",
      ]);
      assert.equal(mixed.code, 1);
      assert.match(mixed.stdout, /^ready: tcp:\/\/127\.0\.0\.1:\d+ /);
      assert.match(
        mixed.stderr,
        new RegExp(
          `127\\.0\\.0\\.1:${down} \\(connection refused\\), unix:.*none\\.sock \\(no such file`,
        ),
      );
      a.close();
      b.close();
      unix.close();
      await Promise.all(draining);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
