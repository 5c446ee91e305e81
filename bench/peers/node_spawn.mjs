// deno-lint-ignore-file no-console -- a standalone benchmark peer prints its results.
// Node's spawn rate for `sh -c true`, PARALLEL at a time, for SECONDS.
//   node node_spawn.mjs PARALLEL SECONDS
import { spawn } from "node:child_process";
const parallel = Number(process.argv[2] ?? 1);
const seconds = Number(process.argv[3] ?? 3);
const latencies = [];
const end = performance.now() + seconds * 1000;
function once() {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", "true"], { stdio: "ignore" });
    child.on("exit", resolve);
    child.on("error", resolve);
  });
}
async function worker() {
  while (performance.now() < end) {
    const started = performance.now();
    await once();
    latencies.push(performance.now() - started);
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: parallel }, worker));
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const at = (p) =>
  Math.round(latencies[Math.floor(p * latencies.length)] * 1000);
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50_us: at(0.5),
    p99_us: at(0.99),
  }),
);
