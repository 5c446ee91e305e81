/**
 * `deno task bench`: sockit side by side with reference peers, on loopback,
 * driven by the C load generator in bench/loadgen.c. Each case runs every
 * server in turn, several rounds with the order rotated, and reports
 * medians and sockit's ratio to each peer; then memory, idle connections
 * and start-up. Writes bench/RESULTS.md (with bench/NOTES.md appended) and
 * stops everything it started. Not part of the test run.
 *
 *   deno task bench [--seconds 3] [--rounds 3] [--out bench/RESULTS.md]
 *
 * Uses `SOCKIT_BIN` when set, else `deno run main.ts` with the binary's
 * permissions. Needs gcc; socat, python3 and node peers are skipped (and
 * said so) when missing.
 *
 * @module
 */

// deno-lint-ignore-file no-console -- a command-line script reports on stdout.

import { parseArgs } from "node:util";
import { RUNTIME_FLAGS } from "./compile.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BUILD = `${ROOT}bench/.build`;
const HOST = "127.0.0.1";

/** One number a load generator run produced. */
interface Sample {
  rps: number;
  mbps: number;
  p50_us: number;
  p99_us: number;
  errors: number;
  losses: number;
}

/** A server under test: how to start it and find its port. */
interface Peer {
  name: string;
  start(): Promise<Running>;
}

interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function run(
  program: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

async function has(program: string): Promise<boolean> {
  try {
    return (await run(program, ["--version"])).code !== 127;
  } catch {
    return false;
  }
}

async function build(): Promise<void> {
  await Deno.mkdir(BUILD, { recursive: true });
  for (
    const [src, out] of [
      ["bench/loadgen.c", "loadgen"],
      ["bench/peers/echo_epoll.c", "echo_epoll"],
    ]
  ) {
    const r = await run("gcc", ["-O2", "-o", `${BUILD}/${out}`, ROOT + src]);
    if (r.code !== 0) throw new Error(`gcc ${src}: ${r.stderr}`);
  }
  await Deno.writeTextFile(`${BUILD}/empty.ts`, "");
}

function sockitArgv(): string[] {
  const bin = Deno.env.get("SOCKIT_BIN");
  return bin
    ? [bin]
    : [Deno.execPath(), "run", ...RUNTIME_FLAGS, `${ROOT}main.ts`];
}

/** Starts `argv` under a raised descriptor limit; the port is the last number of its first stdout line. */
async function startPrinting(argv: string[]): Promise<Running> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'ulimit -n 20000 2>/dev/null; exec "$@"', "sh", ...argv],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${argv.join(" ")} exited before its ready line`);
    text += value;
  }
  clearTimeout(timer);
  const drain = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const port = Number(text.split("\n")[0]!.match(/(\d+)\s*$/)![1]);
  return {
    port,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 8000);
      await child.status;
      clearTimeout(timer);
      await drain.catch(() => {});
    },
  };
}

async function startSocat(): Promise<Running> {
  const probe = Deno.listen({ hostname: HOST, port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command("socat", {
    args: [
      `TCP-LISTEN:${port},bind=${HOST},fork,reuseaddr,backlog=1024`,
      "PIPE",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function peer(name: string, argv: () => string[]): Peer {
  return { name, start: () => startPrinting(argv()) };
}

/** The reference peers' names per transport, as the tables show them. */
const PEER_NAMES = {
  tcp: { c: "C epoll", python: "Python asyncio", node: "Node net" },
  udp: { c: "C recvfrom", python: "Python plain loop", node: "Node dgram" },
};

/** sockit and the peers present on this machine, for TCP echo or UDP uppercase. */
async function peersFor(kind: "tcp" | "udp"): Promise<Peer[]> {
  const names = PEER_NAMES[kind];
  const service = kind === "tcp"
    ? ["tcp-echo", "server"]
    : ["udp-upper", "server", "--rate", "0"];
  const peers = [
    peer(
      "sockit",
      () => [...sockitArgv(), ...service, "--port", "0", "--quiet"],
    ),
    peer(names.c, () => [`${BUILD}/echo_epoll`, kind]),
  ];
  if (await has("python3")) {
    peers.push(
      peer(
        names.python,
        () => ["python3", `${ROOT}bench/peers/py_servers.py`, kind],
      ),
    );
  }
  if (await has("node")) {
    peers.push(
      peer(
        names.node,
        () => ["node", `${ROOT}bench/peers/node_servers.mjs`, kind],
      ),
    );
  }
  if (kind === "tcp" && await has("socat")) {
    peers.push({ name: "socat PIPE", start: startSocat });
  }
  return peers;
}

async function loadgen(args: string[]): Promise<Sample> {
  const r = await run(`${BUILD}/loadgen`, args);
  if (r.code !== 0) throw new Error(`loadgen ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A case's medians per server. */
interface CaseResult {
  title: string;
  unit: "MB/s" | "req/s";
  rows: {
    server: string;
    value: number;
    p50_us: number;
    p99_us: number;
    losses: number;
    errors: number;
  }[];
}

async function runCase(
  title: string,
  peers: Peer[],
  running: Map<string, Running>,
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
        p50_us: median(list.map((s) => s.p50_us)),
        p99_us: median(list.map((s) => s.p99_us)),
        losses: list.reduce((n, s) => n + s.losses, 0),
        errors: list.reduce((n, s) => n + s.errors, 0),
      };
    }),
  };
}

async function withServers<T>(
  peers: Peer[],
  body: (running: Map<string, Running>) => Promise<T>,
): Promise<T> {
  const running = new Map<string, Running>();
  try {
    for (const p of peers) running.set(p.name, await p.start());
    return await body(running);
  } finally {
    for (const r of running.values()) await r.stop();
  }
}

async function rssKiB(pid: number): Promise<number> {
  return Number(
    (await run("ps", ["-o", "rss=", "-p", String(pid)])).stdout.trim(),
  );
}

async function spawnRate(
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

async function execCase(seconds: number, rounds: number): Promise<CaseResult> {
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
  const sockit = await startPrinting([
    ...sockitArgv(),
    "exec",
    "server",
    "--port",
    "0",
    "--quiet",
    "--max-concurrent",
    "8",
  ]);
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
    await sockit.stop();
  }
  return {
    title: "exec: `sh -c true` per request (commands/s)",
    unit: "req/s",
    rows: [...samples].map(([server, list]) => ({
      server,
      value: median(list.map((s) => s.rps)),
      p50_us: median(list.map((s) => s.p50_us)),
      p99_us: median(list.map((s) => s.p99_us)),
      losses: 0,
      errors: list.reduce((n, s) => n + s.errors, 0),
    })),
  };
}

/** RSS after 100k and after 1M echo requests on a fresh server. */
async function memoryCase(): Promise<
  { at100k: number; at1m: number; requests: number }
> {
  const server = await startPrinting([
    ...sockitArgv(),
    "tcp-echo",
    "server",
    "--port",
    "0",
    "--quiet",
  ]);
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
    await server.stop();
  }
}

/** Server RSS per idle connection, 10,000 of them. */
async function idleCase(): Promise<
  { perConnKiB: number; before: number; after: number; held: number }
> {
  const server = await startPrinting([
    ...sockitArgv(),
    "tcp-echo",
    "server",
    "--port",
    "0",
    "--quiet",
    "--max-conns",
    "20000",
    "--idle-timeout",
    "0",
  ]);
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
    await server.stop();
  }
}

async function startupCase(
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

function ratio(a: number, b: number): string {
  return b > 0 ? (a / b).toFixed(2) : "n/a";
}

function caseTable(c: CaseResult): string {
  const ours = c.rows.find((r) => r.server.startsWith("sockit"))!.value;
  const lines = [
    `### ${c.title}`,
    "",
    `| server | median ${c.unit} | p50 µs | p99 µs | losses | errors | sockit ÷ this |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...c.rows.map((r) =>
      `| ${r.server} | ${
        c.unit === "MB/s" ? r.value.toFixed(0) : r.value.toFixed(0)
      } | ${c.unit === "MB/s" ? "" : r.p50_us} | ${
        c.unit === "MB/s" ? "" : r.p99_us
      } | ${r.losses} | ${r.errors} | ${ratio(ours, r.value)} |`
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "3" },
      rounds: { type: "string", default: "3" },
      out: { type: "string", default: `${ROOT}bench/RESULTS.md` },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
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
      rounds,
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
        rounds,
      ),
  );
  console.log("== exec");
  const exec = await execCase(seconds, rounds);
  console.log("== memory, idle connections, start-up");
  const memory = await memoryCase();
  const idle = await idleCase();
  const startup = await startupCase(10);
  const report = await renderReport({
    tcpCases,
    udpCase,
    exec,
    memory,
    idle,
    startup,
    seconds,
    rounds,
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

function value(c: CaseResult, server: string): number {
  return c.rows.find((r) => r.server === server)?.value ?? NaN;
}

async function renderReport(r: {
  tcpCases: CaseResult[];
  udpCase: CaseResult;
  exec: CaseResult;
  memory: { at100k: number; at1m: number; requests: number };
  idle: { perConnKiB: number; before: number; after: number; held: number };
  startup: { sockit: number; empty: number };
  seconds: number;
  rounds: number;
  minutes: number;
}): Promise<string> {
  const [stream1, stream16, rr] = r.tcpCases as [
    CaseResult,
    CaseResult,
    CaseResult,
  ];
  const best = (c: CaseResult) =>
    Math.max(
      ...c.rows.filter((x) => x.server !== "sockit" && x.server !== "C epoll")
        .map((x) => x.value),
    );
  const p99 = (c: CaseResult, s: string) =>
    c.rows.find((x) => x.server === s)?.p99_us ?? NaN;
  const ex = (s: string) => value(r.exec, s);
  const exP50 = (s: string) =>
    r.exec.rows.find((x) => x.server === s)?.p50_us ?? NaN;
  const udpSockit = r.udpCase.rows.find((x) => x.server === "sockit")!;
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
  ];
  let notes = "";
  try {
    notes = await Deno.readTextFile(`${ROOT}bench/NOTES.md`);
  } catch { /* none yet */ }
  return [
    "# sockit benchmark results",
    "",
    "Written by `deno task bench` (scripts/bench.ts); do not edit by hand: the analysis lives in",
    "bench/NOTES.md and is appended below. Loopback only, load from bench/loadgen.c (single-threaded",
    `epoll, C). Each case ran every server ${r.rounds} times for ${r.seconds} s, the order rotated each`,
    `round; the tables show medians. The whole run took ${
      r.minutes.toFixed(1)
    } min.`,
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
    caseTable(r.exec),
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

if (import.meta.main) Deno.exit(await main());
