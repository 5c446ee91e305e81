/**
 * The benchmark's cases: each drives every server with the C load
 * generator (or measures spawn rates, memory, idle connections, start-up)
 * and returns medians per server.
 *
 * @module
 */

// deno-lint-ignore-file no-console -- progress goes to stdout.

import { quoteWord } from "../../lib/exec/shell_words.ts";
import { type ServerProcess, sockitArgv } from "../sockit_process.ts";
import { type Peer, startSocatTo } from "./peers.ts";
import {
  BUILD,
  has,
  HOST,
  ROOT,
  rssKiB,
  run,
  startServer,
  stopServer,
} from "./processes.ts";

/** One number a load generator run produced. */
export interface Sample {
  rps: number;
  mbps: number;
  p50_us: number;
  p99_us: number;
  errors: number;
  losses: number;
}

export async function loadgen(args: string[]): Promise<Sample> {
  const r = await run(`${BUILD}/loadgen`, args);
  if (r.code !== 0) throw new Error(`loadgen ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rows of a case measured by rates alone (no latencies): each server's median and best. */
function rowsOfRates(samples: Map<string, number[]>): CaseResult["rows"] {
  return [...samples].map(([server, list]) => ({
    server,
    value: median(list),
    best: Math.max(...list),
    p50_us: 0,
    p99_us: 0,
    losses: 0,
    errors: 0,
  }));
}

/** A case's medians per server. */
export interface CaseResult {
  title: string;
  unit: "MB/s" | "req/s";
  rows: {
    server: string;
    /** The median rate over the rounds. */
    value: number;
    /**
     * The best rate over the rounds: what the server can do when nothing
     * else on the machine gets in its way (noise here only ever slows a
     * round down), as the targets against the runtime's floor compare.
     */
    best: number;
    p50_us: number;
    p99_us: number;
    losses: number;
    errors: number;
  }[];
}

export async function runCase(
  title: string,
  peers: Peer[],
  running: Map<string, ServerProcess>,
  args: (port: number) => string[],
  unit: "MB/s" | "req/s",
  rounds: number,
): Promise<CaseResult> {
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < rounds; round++) {
    const order = peers.map((_, i) => peers[(i + round) % peers.length]!);
    for (const p of order) {
      let s: Sample;
      try {
        s = await loadgen(args(running.get(p.name)!.port));
      } catch (err) {
        console.log(
          `  ${title} | ${p.name}: failed: ${(err as Error).message}`,
        );
        continue;
      }
      samples.set(p.name, [...(samples.get(p.name) ?? []), s]);
      console.log(
        `  ${title} | ${p.name}: ${
          unit === "MB/s" ? s.mbps + " MB/s" : s.rps.toFixed(0) + " req/s"
        } p99 ${s.p99_us} us`,
      );
    }
  }
  return {
    title,
    unit,
    rows: peers.filter((p) => samples.has(p.name)).map((p) => {
      const list = samples.get(p.name)!;
      return {
        server: p.name,
        value: median(list.map((s) => unit === "MB/s" ? s.mbps : s.rps)),
        best: Math.max(...list.map((s) => unit === "MB/s" ? s.mbps : s.rps)),
        p50_us: median(list.map((s) => s.p50_us)),
        p99_us: median(list.map((s) => s.p99_us)),
        losses: list.reduce((n, s) => n + s.losses, 0),
        errors: list.reduce((n, s) => n + s.errors, 0),
      };
    }),
  };
}

/** Starts every peer, runs `body`, and stops them all whatever happens. */
export async function withServers<T>(
  peers: Peer[],
  body: (running: Map<string, ServerProcess>) => Promise<T>,
): Promise<T> {
  const running = new Map<string, ServerProcess>();
  try {
    for (const p of peers) running.set(p.name, await p.start());
    return await body(running);
  } finally {
    for (const r of running.values()) await stopServer(r);
  }
}

export async function spawnRate(
  program: string[],
  parallel: number,
  seconds: number,
): Promise<Sample> {
  const [bin, ...rest] = program;
  const extra = rest.at(-1) === "piped" ? [rest.pop()!] : [];
  const r = await run(bin!, [
    ...rest,
    String(parallel),
    String(seconds),
    ...extra,
  ]);
  const o = JSON.parse(r.stdout);
  return {
    rps: o.rps,
    mbps: 0,
    p50_us: o.p50_us,
    p99_us: o.p99_us,
    errors: 0,
    losses: 0,
  };
}

export async function execCase(
  seconds: number,
  rounds: number,
): Promise<CaseResult> {
  const denoSpawn = [
    Deno.execPath(),
    "run",
    "--allow-run",
    `${ROOT}bench/peers/deno_spawn.ts`,
  ];
  const nodeSpawn = ["node", `${ROOT}bench/peers/node_spawn.mjs`];
  const samples = new Map<string, Sample[]>();
  const add = (name: string, s: Sample) => {
    samples.set(name, [...(samples.get(name) ?? []), s]);
    console.log(`  exec | ${name}: ${s.rps.toFixed(0)}/s p50 ${s.p50_us} us`);
  };
  const sockit = await startSockitServer("exec", "--max-concurrent", "8");
  try {
    for (let round = 0; round < rounds; round++) {
      add(
        "sockit exec, 8 clients",
        await loadgen([
          "exec",
          HOST,
          String(sockit.port),
          "8",
          "0",
          String(seconds),
        ]),
      );
      add(
        "sockit exec, 1 client",
        await loadgen([
          "exec",
          HOST,
          String(sockit.port),
          "1",
          "0",
          String(seconds),
        ]),
      );
      add("Deno.Command, 8 parallel", await spawnRate(denoSpawn, 8, seconds));
      add("Deno.Command, sequential", await spawnRate(denoSpawn, 1, seconds));
      add(
        "Deno.Command piped, 8 parallel",
        await spawnRate([...denoSpawn, "piped"], 8, seconds),
      );
      if (await has("node")) {
        add("Node spawn, 8 parallel", await spawnRate(nodeSpawn, 8, seconds));
      }
    }
  } finally {
    await stopServer(sockit);
  }
  return {
    title: "exec: `sh -c true` per request (commands/s)",
    unit: "req/s",
    rows: [...samples].map(([server, list]) => ({
      server,
      value: median(list.map((s) => s.rps)),
      best: Math.max(...list.map((s) => s.rps)),
      p50_us: median(list.map((s) => s.p50_us)),
      p99_us: median(list.map((s) => s.p99_us)),
      losses: 0,
      errors: list.reduce((n, s) => n + s.errors, 0),
    })),
  };
}

/** A fresh, quiet sockit `service` server on a free port, with `extra` options. */
function startSockitServer(
  service: "tcp-echo" | "exec",
  ...extra: string[]
): Promise<ServerProcess> {
  return startServer([
    ...sockitArgv(),
    service,
    "server",
    "--port",
    "0",
    "--quiet",
    ...extra,
  ]);
}

/** RSS after 100k and after 1M echo requests on a fresh server. */
export async function memoryCase(): Promise<
  { at100k: number; at1m: number; requests: number }
> {
  const server = await startSockitServer("tcp-echo");
  try {
    let requests = 0;
    let at100k = 0;
    while (requests < 1_000_000) {
      requests +=
        (await loadgen(["rr", HOST, String(server.port), "50", "64", "2"]) as
          & Sample
          & { requests: number }).requests;
      if (!at100k && requests >= 100_000) at100k = await rssKiB(server.pid);
    }
    return { at100k, at1m: await rssKiB(server.pid), requests };
  } finally {
    await stopServer(server);
  }
}

/** Server RSS per idle connection, 10,000 of them. */
export async function idleCase(): Promise<
  { perConnKiB: number; before: number; after: number; held: number }
> {
  const server = await startSockitServer(
    "tcp-echo",
    "--max-conns",
    "20000",
    "--idle-timeout",
    "0",
  );
  try {
    const before = await rssKiB(server.pid);
    const held = 10_000;
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'ulimit -n 20000; exec "$@"',
        "sh",
        `${BUILD}/loadgen`,
        "idle",
        HOST,
        String(server.port),
        String(held),
        "0",
        "6",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("held")) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    // The loadgen's connects are done; give the server a moment to accept them all.
    let after = await rssKiB(server.pid);
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = Math.max(after, await rssKiB(server.pid));
    }
    await child.status;
    await reader.cancel();
    return { perConnKiB: (after - before) / held, before, after, held };
  } finally {
    await stopServer(server);
  }
}

export async function startupCase(
  runs: number,
): Promise<{ sockit: number; empty: number }> {
  const sockit = sockitArgv();
  const times = { sockit: [] as number[], empty: [] as number[] };
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await run(sockit[0]!, [...sockit.slice(1), "--version"]);
    times.sockit.push(performance.now() - t);
    t = performance.now();
    await run(Deno.execPath(), ["run", `${BUILD}/empty.ts`]);
    times.empty.push(performance.now() - t);
  }
  return { sockit: median(times.sockit), empty: median(times.empty) };
}

/**
 * The relay: TCP echo streaming to the C echo server directly, through
 * `sockit relay` (no faults), and through socat as a relay, for the ratio
 * a relay costs.
 */
export async function relayCases(
  seconds: number,
  rounds: number,
): Promise<CaseResult[]> {
  const running = new Map<string, ServerProcess>();
  try {
    const echo = await startServer([`${BUILD}/echo_epoll`, "tcp"]);
    running.set("direct to C epoll", echo);
    running.set(
      "sockit relay",
      await startServer([
        ...sockitArgv(),
        "relay",
        "server",
        "--port",
        "0",
        "--to",
        `${HOST}:${echo.port}`,
        "--quiet",
      ]),
    );
    if (await has("socat")) {
      running.set(
        "socat relay",
        await startSocatTo(`TCP:${HOST}:${echo.port}`),
      );
    }
    const peers: Peer[] = [...running.keys()].map((name) => ({
      name,
      start: () => Promise.resolve(running.get(name)!),
    }));
    const s = String(seconds);
    const stream = (conns: string) => (port: number) => [
      "stream",
      HOST,
      String(port),
      conns,
      "65536",
      s,
    ];
    return [
      await runCase(
        "Relay: TCP echo through it, 1 connection streaming 64 KiB blocks",
        peers,
        running,
        stream("1"),
        "MB/s",
        rounds,
      ),
      await runCase(
        "Relay: TCP echo through it, 16 connections streaming 64 KiB blocks",
        peers,
        running,
        stream("16"),
        "MB/s",
        rounds,
      ),
    ];
  } finally {
    for (const server of running.values()) await stopServer(server);
  }
}

/** Bytes the streamed exec case sends through `cat`: 256 MiB. */
const STREAMED_BYTES = 256 * 1024 * 1024;

/**
 * Streamed exec: 256 MiB of stdin through `sockit exec client --stdin --
 * cat` (both ways streamed) against the same bytes through a direct pipe
 * into `cat`, in MB/s; and, as the runtime's floor, through one Deno
 * process that only copies its stdin to its stdout
 * (`bench/peers/deno_copy.ts`, 64 KiB reads, as a pipe gives), and through
 * one that does so with `readSync`/`writeSync` (`deno_copy_sync.ts`: what
 * the runtime's async pipe operations cost, by difference).
 */
export async function streamedExecCase(rounds: number): Promise<CaseResult> {
  const server = await startSockitServer("exec", "--max-output", "1GiB");
  const client = [
    ...sockitArgv(),
    "exec",
    "client",
    "--port",
    String(server.port),
    "--stdin",
    "--",
    "cat",
  ].map(quoteWord).join(" ");
  const pipelines: Record<string, string> = {
    "sockit exec --stdin -- cat, streamed":
      `head -c ${STREAMED_BYTES} /dev/zero | ${client} | wc -c`,
    "a direct pipe into cat":
      `head -c ${STREAMED_BYTES} /dev/zero | cat | wc -c`,
    "a pipe through one Deno process (deno_copy.ts)":
      `head -c ${STREAMED_BYTES} /dev/zero | ${
        quoteWord(Deno.execPath())
      } run ${quoteWord(`${ROOT}bench/peers/deno_copy.ts`)} | wc -c`,
    "the same, synchronous (deno_copy_sync.ts)":
      `head -c ${STREAMED_BYTES} /dev/zero | ${
        quoteWord(Deno.execPath())
      } run ${quoteWord(`${ROOT}bench/peers/deno_copy_sync.ts`)} | wc -c`,
  };
  const samples = new Map<string, number[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, pipeline] of Object.entries(pipelines)) {
        const started = performance.now();
        const r = await run("sh", ["-c", pipeline]);
        const seconds = (performance.now() - started) / 1000;
        if (Number(r.stdout.trim()) !== STREAMED_BYTES) {
          throw new Error(
            `${name}: ${r.stdout.trim()} bytes came out: ${r.stderr}`,
          );
        }
        const mbps = STREAMED_BYTES / 1e6 / seconds;
        samples.set(name, [...(samples.get(name) ?? []), mbps]);
        console.log(`  streamed exec | ${name}: ${mbps.toFixed(0)} MB/s`);
      }
    }
  } finally {
    await stopServer(server);
  }
  return {
    title: "Streamed exec: 256 MiB through `cat` (MB/s)",
    unit: "MB/s",
    rows: rowsOfRates(samples),
  };
}

/** TCP checks in the `sockit check` case: 1,000. */
const CHECKS = 1000;
/** Checks the shell-loop baseline runs (it takes about 0.1 s a check): 50. */
const LOOP_CHECKS = 50;

/**
 * `sockit check`: a plan of 1,000 TCP checks against one local echo
 * server, `--jobs 32`, against the same checks as a shell loop of
 * `sockit tcp-echo client --expect` calls (run for 50, as a rate), in
 * checks/s; and the check run's peak RSS, in KiB.
 */
export async function checkCase(
  rounds: number,
): Promise<{ result: CaseResult; rssKiB: number }> {
  const server = await startSockitServer("tcp-echo");
  const dir = await Deno.makeTempDir({ prefix: "sockit-bench-check-" });
  const plan = `${dir}/plan.yaml`;
  const lines = ["checks:"];
  for (let i = 0; i < CHECKS; i++) {
    lines.push(
      `  - { name: "echo ${i}", tcp: "${HOST}:${server.port}", send: "ping ${i}\\n", expect: { equals: "ping ${i}\\n" } }`,
    );
  }
  await Deno.writeTextFile(plan, lines.join("\n") + "\n");
  const sockit = sockitArgv().map(quoteWord).join(" ");
  const loop = `for i in $(seq ${LOOP_CHECKS}); do ${sockit} tcp-echo client ${
    quoteWord(`${HOST}:${server.port}`)
  } --message "ping $i" --expect "ping $i" > /dev/null || exit 1; done`;
  const samples = new Map<string, number[]>();
  let rssKiB = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      const checked = await run("/usr/bin/time", [
        "-f",
        "%M",
        ...sockitArgv(),
        "check",
        plan,
        "--jobs",
        "32",
      ]);
      const checkRate = CHECKS / ((performance.now() - started) / 1000);
      if (checked.code !== 0) {
        throw new Error(`sockit check failed: ${checked.stdout.slice(-500)}`);
      }
      rssKiB = Math.max(
        rssKiB,
        Number(checked.stderr.trim().split("\n").at(-1)),
      );
      started = performance.now();
      const looped = await run("sh", ["-c", loop]);
      if (looped.code !== 0) {
        throw new Error(`the loop failed: ${looped.stderr}`);
      }
      const loopRate = LOOP_CHECKS / ((performance.now() - started) / 1000);
      for (
        const [name, rate] of [
          ["sockit check --jobs 32", checkRate],
          ["a shell loop of sockit tcp-echo client --expect", loopRate],
        ] as const
      ) {
        samples.set(name, [...(samples.get(name) ?? []), rate]);
        console.log(`  check | ${name}: ${rate.toFixed(0)} checks/s`);
      }
    }
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
  return {
    rssKiB,
    result: {
      title:
        "sockit check: 1,000 TCP checks against one echo server (checks/s)",
      unit: "req/s",
      rows: rowsOfRates(samples),
    },
  };
}
