/**
 * bench/RESULTS.md: the machine, the targets (each a rule over the cases'
 * medians, or over best rounds for the three cases judged against the
 * runtime's floor and C; met or not), one table per case, and
 * bench/NOTES.md appended.
 *
 * @module
 */

import type { CaseResult } from "./cases.ts";
import { DENO_LOOP_256K, DENO_UDP_LOOP } from "./peers.ts";
import { has, ROOT, run } from "./processes.ts";

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) : "n/a";
}

function caseTable(c: CaseResult): string {
  const ours = c.rows.find((r) => r.server.startsWith("sockit"))!.value;
  const lines = [
    `### ${c.title}`,
    "",
    `| server | median ${c.unit} | best ${c.unit} | p50 µs | p99 µs | losses | errors | sockit ÷ this |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...c.rows.map((r) =>
      `| ${r.server} | ${r.value.toFixed(0)} | ${r.best.toFixed(0)} | ${
        c.unit === "MB/s" ? "" : r.p50_us
      } | ${c.unit === "MB/s" ? "" : r.p99_us} | ${r.losses} | ${r.errors} | ${
        ratio(ours, r.value)
      } |`
    ),
    "",
  ];
  return lines.join("\n");
}

async function machine(): Promise<string[]> {
  const cpu = (await run("sh", [
    "-c",
    "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2",
  ])).stdout.trim();
  const cores = (await run("nproc", [])).stdout.trim();
  const mem = (await run("sh", [
    "-c",
    "grep MemTotal /proc/meminfo | awk '{print int($2/1048576)}'",
  ])).stdout.trim();
  const commit =
    (await run("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT })).stdout
      .trim();
  const dirty =
    (await run("git", ["status", "--porcelain", "--", "lib", "main.ts"], {
        cwd: ROOT,
      })).stdout.trim()
      ? " (with uncommitted changes)"
      : "";
  const versions = [
    `Deno ${Deno.version.deno}`,
    (await has("node"))
      ? `Node ${(await run("node", ["--version"])).stdout.trim()}`
      : "",
    (await has("python3"))
      ? (await run("python3", ["--version"])).stdout.trim()
      : "",
    (await run("gcc", ["-dumpversion"])).stdout.trim()
      ? `gcc ${(await run("gcc", ["-dumpversion"])).stdout.trim()}`
      : "",
  ].filter(Boolean).join(", ");
  return [
    `- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
    `- Commit: ${commit}${dirty}`,
    `- Machine: ${cores} cores, ${cpu}, ${mem} GiB`,
    `- Runtimes: ${versions}`,
    `- sockit: ${
      Deno.env.get("SOCKIT_BIN")
        ? "compiled binary (SOCKIT_BIN)"
        : "deno run main.ts"
    }`,
  ];
}

function value(c: CaseResult, server: string): number {
  return c.rows.find((r) => r.server === server)?.value ?? NaN;
}

/** A server's best round in a case: what the targets against the runtime's floor compare. */
function bestOf(c: CaseResult, server: string): number {
  return c.rows.find((r) => r.server === server)?.best ?? NaN;
}

export async function renderReport(r: {
  tcpCases: CaseResult[];
  udpCase: CaseResult;
  relay: CaseResult[];
  exec: CaseResult;
  streamed: CaseResult;
  check: { result: CaseResult; rssKiB: number };
  memory: { at100k: number; at1m: number; requests: number };
  idle: { perConnKiB: number; before: number; after: number; held: number };
  startup: { sockit: number; empty: number };
  seconds: number;
  rounds: number;
  floorRounds: number;
  minutes: number;
}): Promise<string> {
  const [stream1, stream16, deep16, rr] = r.tcpCases as [
    CaseResult,
    CaseResult,
    CaseResult,
    CaseResult,
  ];
  const best = (c: CaseResult) =>
    Math.max(
      ...c.rows.filter((x) =>
        x.server !== "sockit" && x.server !== "C epoll" &&
        !x.server.startsWith("Deno ")
      )
        .map((x) => x.value),
    );
  const p99 = (c: CaseResult, s: string) =>
    c.rows.find((x) => x.server === s)?.p99_us ?? NaN;
  const ex = (s: string) => value(r.exec, s);
  const exP50 = (s: string) =>
    r.exec.rows.find((x) => x.server === s)?.p50_us ?? NaN;
  const udpSockit = r.udpCase.rows.find((x) => x.server === "sockit")!;
  const [checked, looped] = r.check.result.rows.map((x) => x.value) as [
    number,
    number,
  ];
  const [catSockit, catDirect, catDeno, catDenoSync] = r.streamed.rows.map((
    x,
  ) => x.value) as [number, number, number, number];
  const targets: [string, string, boolean][] = [
    [
      "Streaming, 1 connection: ≥ best peer and ≥ 0.9 × C",
      `${ratio(value(stream1, "sockit"), best(stream1))} × best peer, ${
        ratio(value(stream1, "sockit"), value(stream1, "C epoll"))
      } × C`,
      value(stream1, "sockit") >= best(stream1) &&
      value(stream1, "sockit") >= 0.9 * value(stream1, "C epoll"),
    ],
    [
      "Streaming, 16 connections: ≥ best peer and ≥ 0.9 × C",
      `${ratio(value(stream16, "sockit"), best(stream16))} × best peer, ${
        ratio(value(stream16, "sockit"), value(stream16, "C epoll"))
      } × C`,
      value(stream16, "sockit") >= best(stream16) &&
      value(stream16, "sockit") >= 0.9 * value(stream16, "C epoll"),
    ],
    [
      "64-byte req/resp, 50 connections: ≥ 0.9 × C req/s",
      `${ratio(value(rr, "sockit"), value(rr, "C epoll"))} × C`,
      value(rr, "sockit") >= 0.9 * value(rr, "C epoll"),
    ],
    [
      "64-byte req/resp: p99 ≤ 1.5 × C's",
      `${ratio(p99(rr, "sockit"), p99(rr, "C epoll"))} × C's p99`,
      p99(rr, "sockit") <= 1.5 * p99(rr, "C epoll"),
    ],
    [
      "UDP, 16 sockets: ≥ plain Python loop",
      `${
        ratio(value(r.udpCase, "sockit"), value(r.udpCase, "Python plain loop"))
      } × Python`,
      value(r.udpCase, "sockit") >= value(r.udpCase, "Python plain loop"),
    ],
    [
      "UDP: zero losses on loopback",
      `${udpSockit.losses} resends`,
      udpSockit.losses === 0,
    ],
    ...r.relay.map((c): [string, string, boolean] => {
      const through = value(c, "sockit relay");
      const direct = value(c, "direct to C epoll");
      const conns = c.title.match(/(\d+) connections?/)?.[1] ?? "?";
      return [
        `Relay, ${conns} streaming: ≥ 0.8 × direct`,
        `${ratio(through, direct)} × direct, ${
          ratio(through, value(c, "socat relay"))
        } × socat`,
        through >= 0.8 * direct,
      ];
    }),
    [
      "exec, 8 clients: ≥ 0.8 × Deno's raw spawn rate (8 parallel)",
      `${
        ratio(ex("sockit exec, 8 clients"), ex("Deno.Command, 8 parallel"))
      } × Deno`,
      ex("sockit exec, 8 clients") >= 0.8 * ex("Deno.Command, 8 parallel"),
    ],
    [
      "exec: p50 overhead < 2 ms over a local spawn (1 client vs sequential)",
      `${
        ((exP50("sockit exec, 1 client") - exP50("Deno.Command, sequential")) /
          1000).toFixed(2)
      } ms`,
      exP50("sockit exec, 1 client") - exP50("Deno.Command, sequential") < 2000,
    ],
    [
      "exec: ≥ 2 × Node's spawn rate (8 parallel)",
      `${
        ratio(ex("sockit exec, 8 clients"), ex("Node spawn, 8 parallel"))
      } × Node`,
      ex("sockit exec, 8 clients") >= 2 * ex("Node spawn, 8 parallel"),
    ],
    [
      "RSS flat (±10%) from 100k to 1M echo requests",
      `${(r.memory.at100k / 1024).toFixed(1)} → ${
        (r.memory.at1m / 1024).toFixed(1)
      } MiB (${ratio(r.memory.at1m, r.memory.at100k)}×)`,
      Math.abs(r.memory.at1m / r.memory.at100k - 1) <= 0.1,
    ],
    [
      "10,000 idle TCP connections: < 20 KiB each",
      `${r.idle.perConnKiB.toFixed(1)} KiB each`,
      r.idle.perConnKiB < 20,
    ],
    [
      "`sockit --version` start-up ≤ 1.5 × an empty Deno script",
      `${r.startup.sockit.toFixed(0)} ms vs ${r.startup.empty.toFixed(0)} ms (${
        ratio(r.startup.sockit, r.startup.empty)
      }×)`,
      r.startup.sockit <= 1.5 * r.startup.empty,
    ],
    [
      "Streamed exec, 256 MiB through cat: ≥ 0.5 × a direct pipe",
      `${ratio(catSockit, catDirect)} × direct, ${
        ratio(catSockit, catDeno)
      } × one Deno process (which is ${ratio(catDeno, catDirect)} × direct; ${
        ratio(catDenoSync, catDirect)
      } × with synchronous I/O)`,
      catSockit >= 0.5 * catDirect,
    ],
    [
      "sockit check, 1,000 TCP checks (--jobs 32): ≥ 20 × a shell loop, RSS < 128 MiB",
      `${ratio(checked, looped)} × the loop, RSS ${
        (r.check.rssKiB / 1024).toFixed(1)
      } MiB`,
      checked >= 20 * looped && r.check.rssKiB < 128 * 1024,
    ],
    [
      `16 connections, 4 blocks in flight: ≥ 0.9 × the bare Deno loop (256 KiB), best of ${r.floorRounds}`,
      `${
        ratio(bestOf(deep16, "sockit"), bestOf(deep16, DENO_LOOP_256K))
      } × Deno 256 KiB (medians ${
        ratio(value(deep16, "sockit"), value(deep16, DENO_LOOP_256K))
      }), ${ratio(bestOf(deep16, "sockit"), bestOf(deep16, "C epoll"))} × C`,
      bestOf(deep16, "sockit") >= 0.9 * bestOf(deep16, DENO_LOOP_256K),
    ],
    [
      `1 connection streaming: ≥ 0.95 × C, best of ${r.floorRounds}`,
      `${
        ratio(bestOf(stream1, "sockit"), bestOf(stream1, "C epoll"))
      } × C (medians ${
        ratio(value(stream1, "sockit"), value(stream1, "C epoll"))
      }), ${
        ratio(bestOf(stream1, "sockit"), bestOf(stream1, DENO_LOOP_256K))
      } × Deno 256 KiB`,
      bestOf(stream1, "sockit") >= 0.95 * bestOf(stream1, "C epoll"),
    ],
    [
      `UDP: ≥ 0.95 × the bare Deno receive(buf) loop, best of ${r.floorRounds}`,
      `${
        ratio(udpSockit.best, bestOf(r.udpCase, DENO_UDP_LOOP))
      } × the loop (medians ${
        ratio(udpSockit.value, value(r.udpCase, DENO_UDP_LOOP))
      })`,
      udpSockit.best >= 0.95 * bestOf(r.udpCase, DENO_UDP_LOOP),
    ],
  ];
  let notes = "";
  try {
    notes = await Deno.readTextFile(`${ROOT}bench/NOTES.md`);
  } catch { /* none yet */ }
  return [
    "# sockit benchmark results",
    "",
    "Written by `deno task bench` (scripts/bench/); do not edit by hand: the analysis lives in",
    "bench/NOTES.md and is appended below. Loopback only, load from bench/loadgen.c (single-threaded",
    `epoll, C). Each case ran every server ${r.rounds} times for ${r.seconds} s, the order rotated each`,
    `round (${r.floorRounds} times for the cases with a target against the runtime's floor); the tables`,
    "show medians and best rounds. Targets compare medians, but those against the runtime's floor compare",
    "each server's best round: noise on this shared machine only ever slows a round down (bench/NOTES.md).",
    `The whole run took ${r.minutes.toFixed(1)} min.`,
    "",
    ...(await machine()),
    "",
    "## Targets",
    "",
    "| target | measured | met |",
    "| --- | --- | :---: |",
    ...targets.map(([t, m, ok]) =>
      `| ${t} | ${m} | ${ok ? "yes" : "**no**"} |`
    ),
    "",
    "## Cases",
    "",
    ...r.tcpCases.map(caseTable),
    caseTable(r.udpCase),
    ...r.relay.map(caseTable),
    caseTable(r.exec),
    caseTable(r.streamed),
    caseTable(r.check.result),
    "### Memory, idle connections, start-up",
    "",
    `- RSS of a fresh tcp-echo server: ${
      (r.memory.at100k / 1024).toFixed(1)
    } MiB after 100k requests, ${
      (r.memory.at1m / 1024).toFixed(1)
    } MiB after ${r.memory.requests} (50 connections, 64 bytes).`,
    `- ${r.idle.held} idle connections: RSS ${
      (r.idle.before / 1024).toFixed(1)
    } → ${(r.idle.after / 1024).toFixed(1)} MiB, ${
      r.idle.perConnKiB.toFixed(1)
    } KiB each (user space; kernel socket buffers are not in RSS).`,
    `- Start-up, median of 10: \`sockit --version\` ${
      r.startup.sockit.toFixed(0)
    } ms, \`deno run empty.ts\` ${r.startup.empty.toFixed(0)} ms.`,
    "",
    notes,
  ].join("\n");
}
