/**
 * The layout's rules, checked on the real module graph (`deno info`): which
 * folder of lib/ may import which (the rooms below the services: io, cli,
 * net for sockets only, server for a server's life, options for the option
 * groups every command shares), no import cycles, no file in lib/ over
 * 400 lines, every file reachable from main.ts, sockets opened only in
 * lib/net/, and docs/ARCHITECTURE.md naming only folders that exist.
 */
import assert from "node:assert/strict";
import { pathOf } from "./_helpers.ts";
import { findCycle as findCycleIn } from "../lib/io/graph.ts";

const ROOT = new URL("../", import.meta.url);
const BASE = ["io", "cli", "net", "server", "options"];
/** What each part of lib/ may import besides itself: the rooms below a service, lowest first. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  io: [],
  cli: ["io"],
  net: ["io"],
  server: ["io", "net"],
  options: ["io", "cli", "net", "server"],
};
/** Parts that may import any service: the list, the self-test, the load generator, and check (its exec probe is exec's own client). */
const SEES_SERVICES = ["services.ts", "limits.ts", "demo", "bench", "check"];

/** The part of the tree a repo-relative path belongs to: `net`, `exec`, `services.ts`, `main.ts`. */
function partOf(path: string): string {
  const match = path.match(/^lib\/([^/]+)(\/|$)/);
  return match ? match[1]! : path;
}

/** Each import that breaks the rule, as `FROM imports TO (why)`. */
export function ruleBreaks(edges: ReadonlyArray<[string, string]>): string[] {
  const breaks: string[] = [];
  for (const [from, to] of edges) {
    const a = partOf(from);
    const b = partOf(to);
    if (a === b || !to.startsWith("lib/")) continue;
    if (a === "main.ts") {
      if (b !== "cli" && b !== "io" && b !== "services.ts") {
        breaks.push(
          `${from} imports ${to} (main.ts uses cli/, io/ and services.ts)`,
        );
      }
      continue;
    }
    if (a in MAY_IMPORT) {
      if (!MAY_IMPORT[a]!.includes(b)) {
        breaks.push(
          `${from} imports ${to} (lib/${a}/ may import only ${
            MAY_IMPORT[a]!.map((p) => `lib/${p}/`).join(", ") || "itself"
          })`,
        );
      }
      continue;
    }
    if (BASE.includes(b) || SEES_SERVICES.includes(a)) continue;
    breaks.push(
      `${from} imports ${to} (a service imports only ${
        BASE.map((p) => `lib/${p}/`).join(", ")
      } and its own folder)`,
    );
  }
  return breaks;
}

/** One import cycle among `edges` as a path `a -> b -> a`, or `null`. */
export function findCycle(
  edges: ReadonlyArray<[string, string]>,
): string | null {
  return findCycleIn(edges)?.join(" -> ") ?? null;
}

/** The static and dynamic imports between the project's files, from `deno info --json main.ts`. */
async function moduleGraph(): Promise<Array<[string, string]>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: pathOf(ROOT),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const local = (specifier: string) =>
    specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : null;
  const edges: Array<[string, string]> = [];
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (from === null) continue;
    for (const dependency of module.dependencies ?? []) {
      const to = local(
        dependency.code?.specifier ?? dependency.type?.specifier ?? "",
      );
      if (to !== null && to.endsWith(".ts")) edges.push([from, to]);
    }
  }
  return edges;
}

async function libFiles(dir = "lib"): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await libFiles(path));
    else if (path.endsWith(".ts")) files.push(path);
  }
  return files.sort();
}

Deno.test("ruleBreaks() names an import against the rule; findCycle() finds a cycle", () => {
  assert.deepEqual(
    ruleBreaks([
      ["lib/net/listen.ts", "lib/exec/server.ts"],
      ["lib/net/connect.ts", "lib/cli/option.ts"],
      ["lib/io/log.ts", "lib/cli/help.ts"],
      ["lib/server/accept_loop.ts", "lib/options/log_options.ts"],
      ["lib/options/tls_options.ts", "lib/server/peer_gate.ts"],
      ["lib/chat/server.ts", "lib/udp_upper/server.ts"],
      ["lib/chat/server.ts", "lib/net/listen.ts"],
      ["lib/chat/command.ts", "lib/options/serve_command.ts"],
      ["lib/demo/run.ts", "lib/exec/server.ts"],
      ["lib/services.ts", "lib/exec/command.ts"],
      ["main.ts", "lib/io/errors.ts"],
      ["main.ts", "lib/net/listen.ts"],
    ]),
    [
      "lib/net/listen.ts imports lib/exec/server.ts (lib/net/ may import only lib/io/)",
      "lib/net/connect.ts imports lib/cli/option.ts (lib/net/ may import only lib/io/)",
      "lib/io/log.ts imports lib/cli/help.ts (lib/io/ may import only itself)",
      "lib/server/accept_loop.ts imports lib/options/log_options.ts (lib/server/ may import only lib/io/, lib/net/)",
      "lib/chat/server.ts imports lib/udp_upper/server.ts (a service imports only lib/io/, lib/cli/, lib/net/, lib/server/, lib/options/ and its own folder)",
      "main.ts imports lib/net/listen.ts (main.ts uses cli/, io/ and services.ts)",
    ],
  );
  assert.equal(
    findCycle([["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"]]),
    "a -> b -> c -> a",
  );
  assert.equal(findCycle([["a", "b"], ["a", "c"], ["b", "c"]]), null);
});

Deno.test("lib/ keeps its rule of dependency and has no import cycle", async () => {
  const edges = await moduleGraph();
  assert.ok(edges.length > 100, `only ${edges.length} imports found`);
  assert.deepEqual(ruleBreaks(edges), []);
  assert.equal(findCycle(edges), null);
});

/** Past this many lines a file is worth a look for a seam (a warning). */
const LOOK_FOR_A_SEAM_LINES = 400;
/** Past this many lines a file has more than one concept (a failure). */
const MAX_FILE_LINES = 600;

Deno.test("every file in lib/ is reachable from main.ts; over 400 lines it is named, over 600 it fails", async () => {
  const reached = new Set((await moduleGraph()).flat());
  for (const file of await libFiles()) {
    assert.ok(reached.has(file), `${file} is not imported by anything`);
    const lines = (await Deno.readTextFile(new URL(file, ROOT))).split("\n");
    assert.ok(
      lines.length <= MAX_FILE_LINES,
      `${file} has ${lines.length} lines: split it at a seam (by direction, by layer)`,
    );
    if (lines.length > LOOK_FOR_A_SEAM_LINES) {
      // deno-lint-ignore no-console -- a warning, not a failure.
      console.warn(
        `${file} has ${lines.length} lines: look for a seam (by direction, by layer), never split to meet a count`,
      );
    }
  }
});

Deno.test("only lib/net/ opens sockets", async () => {
  const opens =
    /\bDeno\.(listen|listenTls|listenDatagram|connect|connectTls|startTls)\(|\bnodeTls\.connect\(/;
  for (const file of await libFiles()) {
    if (file.startsWith("lib/net/")) continue;
    const code = (await Deno.readTextFile(new URL(file, ROOT)))
      .split("\n").filter((line) => !/^\s*(\*|\/\/)/.test(line)).join("\n");
    assert.ok(!opens.test(code), `${file} opens a socket: use lib/net/`);
  }
});

Deno.test("docs/ARCHITECTURE.md names only folders and files that exist", async () => {
  const text = await Deno.readTextFile(new URL("docs/ARCHITECTURE.md", ROOT));
  const named = [
    ...text.matchAll(/`((?:lib|tests|scripts|docs|bench)\/[\w./]*)`/g),
  ]
    .map((m) => m[1]!);
  assert.ok(named.length > 20, `only ${named.length} paths named`);
  for (const path of new Set(named)) {
    const stat = await Deno.stat(new URL(path, ROOT)).catch(() => null);
    assert.ok(stat, `docs/ARCHITECTURE.md names ${path}, which does not exist`);
  }
  for (
    const dir of await Array.fromAsync(Deno.readDir(new URL("lib/", ROOT)))
  ) {
    if (dir.isDirectory) {
      assert.ok(
        named.includes(`lib/${dir.name}/`),
        `lib/${dir.name}/ is missing from the code map`,
      );
    }
  }
});
