/**
 * `deno task bench`: sockit side by side with reference peers, on loopback,
 * driven by the C load generator in bench/loadgen.c. Each case runs every
 * server in turn, several rounds with the order rotated, and reports
 * medians and sockit's ratio to each peer; then memory, idle connections
 * and start-up. Writes bench/RESULTS.md (with bench/NOTES.md appended) and
 * stops everything it started. Not part of the test run.
 *
 *   deno task bench [--seconds 3] [--rounds 3] [--floor-rounds 5] [--out bench/RESULTS.md]
 *
 * The cases with a target against the runtime's floor (1 connection
 * streaming, 16 connections with 4 blocks in flight, UDP) run
 * `--floor-rounds` rounds, and those targets compare each server's best
 * round: on this shared machine a round only ever runs slower than it
 * could, never faster.
 *
 * Uses `SOCKIT_BIN` when set, else `deno run main.ts` with the binary's
 * permissions. Needs gcc; socat, python3 and node peers are skipped (and
 * said so) when missing.
 *
 * @module
 */

// deno-lint-ignore-file no-console -- a command-line script reports on stdout.

import { parseArgs } from "node:util";
import {
  checkCase,
  execCase,
  idleCase,
  memoryCase,
  relayCases,
  runCase,
  startupCase,
  streamedExecCase,
  withServers,
} from "./cases.ts";
import { peersFor } from "./peers.ts";
import { build, has, HOST, ROOT, run } from "./processes.ts";
import { renderReport } from "./report.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      "floor-rounds": { type: "string", default: "5" },
      out: { type: "string", default: `${ROOT}bench/RESULTS.md` },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const floorRounds = Number(values["floor-rounds"]);
  if (!(await has("gcc"))) {
    console.error(
      "bench: gcc is needed to build bench/loadgen.c; apt-get install gcc",
    );
    return 1;
  }
  const started = performance.now();
  await build();
  const s = String(seconds);
  console.log("== TCP echo");
  const tcp = await peersFor("tcp");
  const tcpCases = await withServers(tcp, async (running) => [
    await runCase(
      "TCP echo, 1 connection streaming 64 KiB blocks",
      tcp,
      running,
      (p) => ["stream", HOST, String(p), "1", "65536", s],
      "MB/s",
      floorRounds,
    ),
    await runCase(
      "TCP echo, 16 connections streaming 64 KiB blocks",
      tcp,
      running,
      (p) => ["stream", HOST, String(p), "16", "65536", s],
      "MB/s",
      rounds,
    ),
    await runCase(
      "TCP echo, 16 connections, 4 blocks of 64 KiB in flight each",
      tcp,
      running,
      (p) => ["stream", HOST, String(p), "16", "65536", s, "4"],
      "MB/s",
      floorRounds,
    ),
    await runCase(
      "TCP echo, 50 connections, 64-byte request/response",
      tcp,
      running,
      (p) => ["rr", HOST, String(p), "50", "64", s],
      "req/s",
      rounds,
    ),
  ]);
  console.log("== UDP uppercase");
  const udp = await peersFor("udp");
  const udpCase = await withServers(
    udp,
    (running) =>
      runCase(
        "UDP uppercase, 16 sockets, 64-byte datagrams (resend after 200 ms)",
        udp,
        running,
        (p) => ["udp", HOST, String(p), "16", "64", s],
        "req/s",
        floorRounds,
      ),
  );
  console.log("== relay");
  const relay = await relayCases(seconds, rounds);
  console.log("== exec");
  const exec = await execCase(seconds, rounds);
  const streamed = await streamedExecCase(rounds);
  console.log("== sockit check");
  const check = await checkCase(rounds);
  console.log("== memory, idle connections, start-up");
  const memory = await memoryCase();
  const idle = await idleCase();
  const startup = await startupCase(10);
  const report = await renderReport({
    tcpCases,
    udpCase,
    relay,
    exec,
    streamed,
    check,
    memory,
    idle,
    startup,
    seconds,
    rounds,
    floorRounds,
    minutes: (performance.now() - started) / 60000,
  });
  await Deno.writeTextFile(values.out!, report);
  await run(Deno.execPath(), ["fmt", "--quiet", values.out!]); // Tables as deno fmt writes them, so `deno task check` stays clean.
  console.log(
    `bench: wrote ${values.out} in ${
      ((performance.now() - started) / 60000).toFixed(1)
    } min`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
