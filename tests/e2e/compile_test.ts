import assert from "node:assert/strict";
import { quoteWord } from "../../lib/exec/shell_words.ts";
import { createHash } from "node:crypto";
import {
  checksumLine,
  compileArgs,
  outputPath,
  TARGETS,
} from "../../scripts/compile.ts";
import { RUNTIME_FLAGS } from "../../lib/cli/self.ts";
import { pathOf, withTimeout } from "../_helpers.ts";
import { requires } from "../_platform.ts";

const root = new URL("../../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));

Deno.test("the compile script builds the five targets Deno supports", () => {
  assert.deepEqual([...TARGETS], [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
});

Deno.test("compileArgs() gives each target its flags, its output, and main.ts's graph only", async (t) => {
  for (const target of TARGETS) {
    await t.step(target, () => {
      const args = compileArgs(target);
      const exe = target.includes("windows") ? ".exe" : "";
      assert.deepEqual(args, [
        "compile",
        ...RUNTIME_FLAGS,
        "--target",
        target,
        "--output",
        `dist/sockit-${target}${exe}`,
        "main.ts",
      ]);
      assert.ok(
        !args.some((a) =>
          a.startsWith("--include") || a === "-A" || a === "--allow-all"
        ),
      );
    });
  }
  assert.deepEqual(compileArgs("host").slice(-3), [
    "--output",
    outputPath("host"),
    "main.ts",
  ]);
});

Deno.test("the binary's permissions are exactly the sockit task's", () => {
  const words: string[] = config.tasks.sockit.split(/\s+/);
  assert.deepEqual(words.slice(2, -1), [...RUNTIME_FLAGS]);
});

Deno.test("deno task demo fetches nothing that only the tests need", async () => {
  const denoDir = await Deno.makeTempDir();
  try {
    const output = await withTimeout(
      new Deno.Command(Deno.execPath(), {
        args: ["task", "demo"],
        cwd: pathOf(root),
        env: { DENO_DIR: denoDir, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output(),
      120_000,
      "deno task demo",
    );
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    // The plan reader's yaml is the program's own; the tests' packages are not.
    assert.doesNotMatch(stderr, /fast-check|ajv|junit2json|tap-parser/);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

Deno.test("deno task compile fails with one clear line when DENORT_BIN yields a plain deno, and keeps no binary", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const output = await withTimeout(
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-lock",
          "--allow-run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "scripts/compile.ts",
          "--out-dir",
          outDir,
        ],
        cwd: pathOf(root),
        env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output(),
      120_000,
      "deno task compile with DENORT_BIN=deno",
    );
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.match(
      stderr,
      /^deno task compile: \S+\/sockit is not sockit: `--version` printed "deno \d+\.\d+\.\d+ [^"]*", not "sockit \d+\.\d+\.\d+ \.\.\."; if DENORT_BIN is set, point it at a denort binary, not the full deno$/m,
    );
    assert.doesNotMatch(stderr, /^built /m);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(outDir)), []);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("checksumLine() writes what sha256sum -c reads", () => {
  const bytes = new TextEncoder().encode("sockit");
  const hex = createHash("sha256").update(bytes).digest("hex");
  assert.equal(
    checksumLine(bytes, "sockit-x86_64-pc-windows-msvc.exe"),
    `${hex}  sockit-x86_64-pc-windows-msvc.exe`,
  );
});

/** The compile task's command line, run directly: `deno task` would first fetch the tests' npm packages. */
function compileTaskArgs(): string[] {
  const words: string[] = config.tasks.compile.split(/\s+/);
  assert.equal(words[0], "deno");
  return words.slice(1);
}

Deno.test("deno task compile without a base binary explains why in one paragraph, exit 1", async () => {
  const denoDir = await Deno.makeTempDir();
  try {
    // An empty Deno cache and a proxy on a closed loopback port: the download fails on any machine.
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    closed.close();
    const proxy = `http://127.0.0.1:${closed.addr.port}`;
    const env: Record<string, string> = {
      DENO_DIR: denoDir,
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      NO_COLOR: "1",
    };
    const output = await withTimeout(
      new Deno.Command(Deno.execPath(), {
        args: compileTaskArgs(),
        cwd: pathOf(root),
        env,
        stdout: "piped",
        stderr: "piped",
      }).output(),
      60_000,
      "deno task compile",
    );
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.match(
      stderr,
      /deno task compile: cannot build sockit for \S+\.\n`deno compile` needs Deno's runtime base binary/,
    );
    assert.match(stderr, /set DENORT_BIN to a denort \d+\.\d+\.\d+ binary/);
    assert.ok(!/Stack backtrace| {4}at /.test(stderr), "no stack trace");
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

/** Files in tests/e2e/ the nested run leaves out: this one, the long fuzz, the toolchain check. */
const NOT_NESTED = [
  "compile_test.ts",
  "exec_fuzz_test.ts",
  "toolchain_test.ts",
];

/** Runs the end-to-end tests as a nested `deno test` with SOCKIT_BIN set. */
async function runEndToEnd(sockitBin: string): Promise<void> {
  const testTask: string[] = config.tasks.test.split(/\s+/);
  const flags = testTask.filter((w) => w.startsWith("--") && w !== "--doc");
  const files = [];
  for await (const entry of Deno.readDir(new URL("tests/e2e/", root))) {
    if (!NOT_NESTED.includes(entry.name)) files.push(`tests/e2e/${entry.name}`);
  }
  const output = await withTimeout(
    new Deno.Command(Deno.execPath(), {
      args: ["test", ...flags, ...files.sort()],
      cwd: pathOf(root),
      env: { SOCKIT_BIN: sockitBin, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output(),
    600_000,
    "the end-to-end tests",
  );
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text.slice(-4000));
  assert.match(text, /^ok \| \d+ passed/m);
}

Deno.test({
  name:
    "the end-to-end tests pass against a wrapper with exactly the binary's permissions",
  ...requires("posix"),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const wrapper = `${dir}/sockit`;
      const command = [
        Deno.execPath(),
        "run",
        ...RUNTIME_FLAGS,
        pathOf(new URL("main.ts", root)),
      ].map(quoteWord).join(" ");
      await Deno.writeTextFile(wrapper, `#!/bin/sh\nexec ${command} "$@"\n`, {
        mode: 0o755,
      });
      await runEndToEnd(wrapper);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const denortBin = Deno.env.get("DENORT_BIN");
if (!denortBin) {
  // deno-lint-ignore no-console -- a skipped test says why.
  console.log(
    "skipped: compiling the host binary and testing it needs DENORT_BIN (a denort for this Deno)",
  );
}

Deno.test({
  name:
    "with DENORT_BIN, the compiled host binary passes the end-to-end tests and the demo",
  ignore: !denortBin,
  async fn() {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: pathOf(root),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const binary = pathOf(new URL(outputPath("host"), root));
    const demo = await new Deno.Command(binary, {
      args: ["demo"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(demo.code, 0, new TextDecoder().decode(demo.stdout));
    await runEndToEnd(binary);
  },
});
