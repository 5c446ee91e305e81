/**
 * Every command example in README.md, in docs/*.md and in every `--help` runs, as a user
 * would copy it: each code block (or a service's example list) in order,
 * its servers started and their real ports taken from their ready lines.
 *
 * Rules, so a broken example cannot pass by accident:
 * - A server an example starts keeps its documented port as a name: a
 *   client in the same block that names that port (`--port 20000`,
 *   `127.0.0.1:20000`, or the default) reaches it. If the block starts a
 *   server of that service on another port, the example is broken (the
 *   client would reach nothing) and the test fails. Only a block that
 *   starts no server of a service gets one from the test (the reader's own
 *   server in a CI recipe, the targets of `sockit wait`).
 * - `/tmp/` paths go to a fresh directory; `--duration N` runs 1 s. Nothing
 *   else is changed, and every command must exit 0.
 * - A few lines are not run, each for a reason written below; those that
 *   are sockit command lines are still parsed, and an exec server's
 *   exposure rule is still checked, so they cannot exit 2 as written.
 */
import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { ServerProcess, writeSockitWrapper } from "../_sockit.ts";
import { withTimeout } from "../_helpers.ts";
import { parseCommandLine } from "../../lib/cli/parse.ts";
import { SERVICES } from "../../lib/services.ts";
import { checkExecExposure } from "../../lib/exec/command.ts";

const ROOT = new URL("../../", import.meta.url);
const DEFAULT_PORTS: Record<string, number> = {
  "tcp-echo": 20000,
  "udp-upper": 3000,
  chat: 3001,
  exec: 8083,
};

/** Lines that are not run, and why. */
const NOT_RUN: Array<[RegExp, string]> = [
  [/\bbuild1\.example\b/, "names a remote host"],
  [/--host 0\.0\.0\.0/, "binds every interface"],
  [
    /^(RELEASE=|curl |chmod |mv |sha256sum |server=\$!|kill |npx -y deno@\S+ task (demo|test)$)/,
    "an install step or shell plumbing",
  ],
  [/run-smoke-tests\.sh/, "runs the reader's own script"],
];

/** README.md and every Markdown file in docs/: where a user copies examples from. */
export async function markdownFiles(): Promise<string[]> {
  const docs = (await Array.fromAsync(Deno.readDir(new URL("docs/", ROOT))))
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`).sort();
  return ["README.md", ...docs];
}

/** The example lists: the `sh` blocks of README and docs/, then each service's examples. */
async function exampleBlocks(): Promise<
  Array<{ name: string; lines: string[] }>
> {
  const blocks: Array<{ name: string; lines: string[] }> = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (
      const [i, m] of [...text.matchAll(/```sh\n([\s\S]*?)```/g)].entries()
    ) {
      blocks.push({ name: `${file} block ${i + 1}`, lines: m[1]!.split("\n") });
    }
  }
  for (const service of SERVICES) {
    blocks.push({
      name: `sockit ${service.name} --help`,
      lines: [...service.examples],
    });
  }
  return blocks;
}

/** A line as a shell runs it: no comment, `sockit` for every way of naming it. */
function normalize(line: string, tmp: string): string {
  return line.replace(/\s+#\s.*$/, "")
    .replace(/npx -y deno@\S+ task sockit /g, "sockit ")
    .replace(/\.\/sockit\b/g, "sockit")
    .replace(/ 2> \S+/g, "")
    .replace(/\/tmp\//g, `${tmp}/`)
    .replace(/--duration \d+/g, "--duration 1")
    .trim();
}

/** The words of a simple sockit command line (no pipes or quotes needed here). */
function sockitWords(command: string): string[] | null {
  const match = command.match(/(?:^|\s)sockit\s+(.*)$/);
  return match ? match[1]!.split(/\s+/).filter(Boolean) : null;
}

interface Block {
  tmp: string;
  /** Servers by documented port (a later one of the same port takes its name). */
  servers: Map<string, ServerProcess>;
  /** Every server started, to stop them all. */
  running: ServerProcess[];
  /** Services the block itself starts a server of. */
  started: Set<string>;
}

function serverKey(service: string, port: number | string): string {
  return `${service}:${port}`;
}

/** Starts a server example (its port made 0) and names it by its documented port. */
async function startServer(words: string[], block: Block): Promise<void> {
  const [service] = words;
  const args = [...words];
  const portAt = args.indexOf("--port");
  const documented = portAt >= 0
    ? Number(args[portAt + 1])
    : args.includes("--unix")
    ? args[args.indexOf("--unix") + 1]!
    : DEFAULT_PORTS[service!]!;
  const hasAddress = args.some((a) => /:\d+$|^unix:/.test(a));
  if (portAt >= 0) args[portAt + 1] = "0";
  else if (!args.includes("--unix") && !hasAddress) args.push("--port", "0");
  const server = await ServerProcess.start(args);
  block.running.push(server);
  block.started.add(service!);
  if (documented !== 0) {
    block.servers.set(serverKey(service!, documented), server);
  } else block.servers.set(`${service}:free:${block.servers.size}`, server);
}

/** The real port for a documented one, starting the test's own server if the block has none of that service. */
async function realPort(
  service: string,
  documented: number,
  block: Block,
  line: string,
): Promise<number> {
  const key = serverKey(service, documented);
  const found = block.servers.get(key);
  if (found) return found.port;
  assert.ok(
    !block.started.has(service),
    `"${line}" reaches ${service} on port ${documented}, but no server in its block listens there`,
  );
  const extra = service === "udp-upper" ? ["--rate", "0"] : [];
  const server = await ServerProcess.start([service, "server", ":0", ...extra]);
  block.running.push(server);
  block.servers.set(key, server);
  return server.port;
}

/** Rewrites documented ports to real ones: `--port N`, `HOST:N` addresses, and a client's default. */
async function withRealPorts(command: string, block: Block): Promise<string> {
  let out = command;
  for (const segment of command.split(/\s*(?:\||--(?= ))\s*/)) {
    const words = sockitWords(segment);
    if (!words) continue;
    const [service, role] = words;
    let target = service === "bench" ? role! : service!;
    if (service === "wait") target = "";
    const port = segment.match(/--port (\d+)/)?.[1];
    if (port && target in DEFAULT_PORTS) {
      const real = await realPort(target, Number(port), block, segment);
      out = out.replace(`--port ${port}`, `--port ${real}`);
    } else if (
      target in DEFAULT_PORTS && (role === "client" || service === "bench") &&
      !/--unix|\S:\d+/.test(segment)
    ) {
      const real = await realPort(
        target,
        DEFAULT_PORTS[target]!,
        block,
        segment,
      );
      out = out.replace(segment, `${segment} --port ${real}`);
    }
  }
  for (
    const [address, port] of command.matchAll(
      /(?:tcp:\/\/|udp:\/\/)?127\.0\.0\.1:(\d+)/g,
    )
  ) {
    const service = address.startsWith("udp://")
      ? "udp-upper"
      : Object.entries(DEFAULT_PORTS).find(([, p]) => p === Number(port))?.[0];
    assert.ok(service, `no service is documented on ${address}`);
    out = out.replace(
      address,
      address.replace(
        port!,
        String(await realPort(service, Number(port), block, command)),
      ),
    );
  }
  for (const [, path] of command.matchAll(/unix:(\S+)/g)) {
    const exists = await Deno.stat(path!).catch(() => null);
    if (!exists) {
      const server = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--unix",
        path!,
      ]);
      block.running.push(server);
      block.servers.set(`unix:${path}`, server);
    }
  }
  return out;
}

/** Checks a line that is not run: it parses, and an exec server would not refuse to start. */
function checkWithoutRunning(command: string): void {
  const words = sockitWords(command);
  if (!words) return;
  const env = (name: string) =>
    command.match(new RegExp(`(?:^|\\s)${name}=(\\S+)`))?.[1];
  const parsed = parseCommandLine(words, SERVICES, env);
  if (parsed.kind !== "run" || words[0] !== "exec" || words[1] !== "server") {
    return;
  }
  const values = parsed.values as Record<string, unknown>;
  checkExecExposure(
    {
      transport: "tcp",
      hostname: String(values.host),
      port: Number(values.port),
    },
    {
      token: values.token !== undefined || values.tokenFile !== undefined,
      tls: values.tlsCert !== undefined,
      allowPlaintext: values.allowPlaintext === true,
    },
  );
}

/** Runs one command line in bash, with `sockit` on PATH, stdin empty, within 60 s. */
async function run(
  command: string,
  bin: string,
): Promise<{ code: number; out: string }> {
  const output = await withTimeout(
    new Deno.Command("timeout", {
      args: ["60", "bash", "-c", command],
      env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output(),
    70_000,
    command,
  );
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: output.code,
    out: decode(output.stdout) + decode(output.stderr),
  };
}

Deno.test({
  name:
    "every command example in README.md, docs/ and every --help runs as written",
  ...requires("linux", "python3"),
  async fn(t) {
    const blocks = await exampleBlocks();
    let ran = 0;
    for (const { name, lines } of blocks) {
      await t.step(name, async () => {
        const tmp = await Deno.makeTempDir();
        const bin = `${tmp}/bin`;
        await Deno.mkdir(bin);
        await writeSockitWrapper(bin);
        const block: Block = {
          tmp,
          servers: new Map(),
          running: [],
          started: new Set(),
        };
        try {
          for (const line of lines) {
            const command = normalize(line, tmp);
            if (
              command === "" || command.startsWith("#") ||
              !/\bsockit\b/.test(command)
            ) continue;
            const skip = NOT_RUN.find(([re]) => re.test(command));
            if (skip) {
              checkWithoutRunning(command);
              continue;
            }
            const parts = command.split(/\s*&\s*/).filter(Boolean);
            const background = command.endsWith("&")
              ? parts
              : parts.slice(0, -1);
            for (const server of background) {
              await startServer(sockitWords(server)!, block);
            }
            if (background.length === parts.length) continue;
            const last = parts.at(-1)!;
            const words = sockitWords(last);
            const listens = words?.[1] === "server" || words?.[0] === "listen";
            if (listens && !last.includes("|")) {
              await startServer(words, block);
              continue;
            }
            const result = await run(await withRealPorts(last, block), bin);
            ran++;
            assert.equal(
              result.code,
              0,
              `${name}: "${line.trim()}" exited ${result.code}:\n${result.out}`,
            );
          }
        } finally {
          for (const server of block.running) {
            await server[Symbol.asyncDispose]();
          }
          await Deno.remove(tmp, { recursive: true });
        }
      });
    }
    assert.ok(ran >= 25, `only ${ran} examples ran`);
  },
});

Deno.test({
  name: "the systemd units pass systemd-analyze verify",
  ignore: !new Deno.Command("sh", {
    args: ["-c", "command -v systemd-analyze"],
  }).outputSync().success,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/sockit`, "#!/bin/sh\nexit 0\n", {
        mode: 0o755,
      });
      for await (const entry of Deno.readDir(new URL("deploy/", ROOT))) {
        if (!entry.name.endsWith(".service")) continue;
        const unit =
          (await Deno.readTextFile(new URL(`deploy/${entry.name}`, ROOT)))
            .replaceAll("/usr/local/bin/sockit", `${dir}/sockit`);
        await Deno.writeTextFile(`${dir}/${entry.name}`, unit);
        const output = await new Deno.Command("systemd-analyze", {
          args: ["verify", `${dir}/${entry.name}`],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(output.stderr);
        assert.equal(output.code, 0, `${entry.name}: ${text}`);
        assert.doesNotMatch(
          text,
          new RegExp(entry.name),
          `${entry.name}: ${text}`,
        );
        assert.match(
          unit,
          /^RestartPreventExitStatus=2$/m,
          `${entry.name} restarts on a usage error`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
