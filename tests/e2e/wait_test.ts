import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { withTimeout } from "../_helpers.ts";
import { runSockit, ServerProcess, sockitArgv } from "../_sockit.ts";

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

Deno.test("e2e: wait reports each target the moment it comes up, before the others", async () => {
  using up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const later = freePort();
  const [program, ...base] = sockitArgv();
  const child = new Deno.Command(program!, {
    args: [
      ...base,
      "wait",
      `127.0.0.1:${up.addr.port}`,
      `127.0.0.1:${later}`,
      "-t",
      "20",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await withTimeout(lines.read(), 10_000, "the first ready line");
  assert.match(
    first.value ?? "",
    new RegExp(`^ready: tcp://127\\.0\\.0\\.1:${up.addr.port} `),
    "printed while the second target is still down",
  );
  using listener = Deno.listen({ hostname: "127.0.0.1", port: later });
  let rest = "";
  for (let r = await lines.read(); !r.done; r = await lines.read()) {
    rest += r.value;
  }
  assert.match(rest, new RegExp(`^ready: tcp://127\\.0\\.0\\.1:${later} `));
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  listener.close();
});

Deno.test(
  "e2e: wait -- COMMAND runs the command once all are up and exits with its status",
  requires("posix"),
  async () => {
    using up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const ran = await runSockit([
      "wait",
      `127.0.0.1:${up.addr.port}`,
      "--",
      "sh",
      "-c",
      "echo ran; exit 7",
    ]);
    assert.equal(ran.code, 7);
    assert.match(ran.stdout, /^ready: .*\nran\n$/);
    const never = await runSockit([
      "wait",
      `127.0.0.1:${freePort()}`,
      "-t",
      "0.3",
      "--",
      "sh",
      "-c",
      "echo should not run",
    ]);
    assert.equal(never.code, 1);
    assert.doesNotMatch(never.stdout, /should not run/);
  },
);

Deno.test("e2e: wait --json prints one object per target; a UDP target is up once it answers", async () => {
  await using upper = await ServerProcess.start([
    "udp-upper",
    "server",
    "--port",
    "0",
  ]);
  const down = freePort();
  const result = await runSockit([
    "wait",
    "--json",
    `udp://127.0.0.1:${upper.port}`,
    "--send",
    "hi",
    "--expect",
    "HI",
    `127.0.0.1:${down}`,
    "-t",
    "0.5",
  ]);
  assert.equal(result.code, 1);
  const objects = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(objects.length, 2);
  assert.equal(objects[0].address, `udp://127.0.0.1:${upper.port}`);
  assert.equal(objects[0].ready, true);
  assert.equal(typeof objects[0].seconds, "number");
  assert.deepEqual(objects[1], {
    address: `tcp://127.0.0.1:${down}`,
    ready: false,
    error: "connection refused",
  });
  const wrong = await runSockit([
    "wait",
    `udp://127.0.0.1:${upper.port}`,
    "--send",
    "hi",
    "--expect",
    "hi",
    "-t",
    "0.5",
  ]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /replied "HI", not "hi"/);
});
