import assert from "node:assert/strict";
import { pathOf, withTimeout } from "../_helpers.ts";
import { requires } from "../_platform.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";

Deno.test("e2e: sockit bench --json prints one object; missed guards exit 1 with one line", async () => {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    "--port",
    "0",
    "--quiet",
  ]);
  const base = [
    "bench",
    "tcp-echo",
    "--port",
    String(server.port),
    "--duration",
    "0.5",
    "--connections",
    "4",
  ];
  const ok = await runSockit([...base, "--json", "--min-rps", "1"]);
  assert.equal(ok.code, 0, ok.stderr);
  const result = JSON.parse(ok.stdout);
  assert.equal(result.target, "tcp-echo");
  assert.equal(result.connections, 4);
  assert.ok(result.requests > 0 && result.errors === 0);
  assert.equal(ok.stdout.trim().split("\n").length, 1);
  const slow = await runSockit([...base, "--min-rps", "1e9"]);
  assert.equal(slow.code, 2, "1e9 is not a plain number");
  const missed = await runSockit([
    ...base,
    "--min-rps",
    "1000000000",
    "--max-p99",
    "0",
  ]);
  assert.equal(missed.code, 1);
  assert.match(missed.stdout, /^sockit bench tcp-echo: 4 connections/);
  assert.match(
    missed.stderr,
    /^sockit: bench missed its guard: [\d.]+ requests\/s is under --min-rps 1000000000; p99 latency [\d.]+ ms is over --max-p99 0\n$/,
  );
  const refused = await runSockit([
    "bench",
    "tcp-echo",
    "--port",
    "1",
    "--duration",
    "0.2",
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /no request succeeded .*connection refused/,
  );
});

Deno.test(
  "e2e: sockit bench agrees with the C load generator within 2x on the same server",
  {
    ...requires("gcc", "linux"),
  },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "sockit-loadgen-" });
    try {
      const loadgen = `${dir}/loadgen`;
      const built = await new Deno.Command("gcc", {
        args: [
          "-O2",
          "-o",
          loadgen,
          pathOf(new URL("../../bench/loadgen.c", import.meta.url)),
        ],
        stderr: "piped",
      }).output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      await using server = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--port",
        "0",
        "--quiet",
      ]);
      // Two rounds, alternating, best of each: a passing spike on a shared
      // machine should not decide the comparison.
      const loadgenRps: number[] = [];
      const benchRps: number[] = [];
      for (let round = 0; round < 2; round++) {
        const c = await withTimeout(
          new Deno.Command(loadgen, {
            args: ["rr", "127.0.0.1", String(server.port), "16", "64", "1.5"],
            stdout: "piped",
          }).output(),
          20_000,
          "loadgen",
        );
        const reference = JSON.parse(new TextDecoder().decode(c.stdout));
        assert.equal(reference.errors, 0);
        loadgenRps.push(reference.rps);
        const ours = await runSockit([
          "bench",
          "tcp-echo",
          "--port",
          String(server.port),
          "--connections",
          "16",
          "--size",
          "64",
          "--duration",
          "1.5",
          "--json",
        ]);
        assert.equal(ours.code, 0, ours.stderr);
        benchRps.push(JSON.parse(ours.stdout).rps);
      }
      const ratio = Math.max(...benchRps) / Math.max(...loadgenRps);
      assert.ok(
        ratio > 0.5 && ratio < 2,
        `sockit bench ${benchRps}/s vs loadgen ${loadgenRps}/s`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
