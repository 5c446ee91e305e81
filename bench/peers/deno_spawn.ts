// deno-lint-ignore-file no-console -- a standalone benchmark peer prints its results.
// The exec ceiling: how fast Deno itself spawns `sh -c true`, PARALLEL at a
// time, for SECONDS. Prints {"rps":..,"p50_us":..,"p99_us":..}. With
// "piped", stdout and stderr are pipes read to the end, as exec needs.
//   deno run --allow-run deno_spawn.ts PARALLEL SECONDS [piped]
const parallel = Number(Deno.args[0] ?? 1);
const seconds = Number(Deno.args[1] ?? 3);
const stdio = Deno.args[2] === "piped" ? "piped" : "null";
const latencies: number[] = [];
const end = performance.now() + seconds * 1000;
async function worker(): Promise<void> {
  while (performance.now() < end) {
    const started = performance.now();
    await new Deno.Command("/bin/sh", {
      args: ["-c", "true"],
      stdin: "null",
      stdout: stdio,
      stderr: stdio,
    }).output();
    latencies.push(performance.now() - started);
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: parallel }, worker));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const at = (p: number) =>
  Math.round(latencies[Math.floor(p * latencies.length)]! * 1000);
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50_us: at(0.5),
    p99_us: at(0.99),
  }),
);
