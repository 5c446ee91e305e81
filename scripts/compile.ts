// deno-lint-ignore-file no-console -- a build script reports on stderr.
/**
 * Builds sockit's self-contained binaries with `deno compile`: the host's
 * (`deno task compile`, to dist/sockit) or all five targets Deno supports
 * (`deno task compile:all`, to dist/sockit-TARGET[.exe] plus
 * dist/SHA256SUMS). The target list and the flags live here only.
 *
 * `deno compile` needs a runtime base binary (denort) for each target, which
 * it downloads from Deno's own host the first time, or reads from the
 * `DENORT_BIN` environment variable. Without either, this script explains
 * that in one paragraph and exits 1.
 *
 * @module
 */

import { RUNTIME_FLAGS } from "../lib/cli/self.ts";
import { createHash } from "node:crypto";

/** The targets `deno compile` supports, in release order. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** A compile target. */
export type Target = typeof TARGETS[number];

/** Where a target's binary goes. */
export function outputPath(target: Target | "host", outDir = "dist"): string {
  if (target === "host") {
    return `${outDir}/sockit${Deno.build.os === "windows" ? ".exe" : ""}`;
  }
  return `${outDir}/sockit-${target}${
    target.includes("windows") ? ".exe" : ""
  }`;
}

/**
 * The `deno` arguments that build one binary: main.ts's module graph only
 * (no --include), with {@linkcode RUNTIME_FLAGS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileArgs } from "./compile.ts";
 * const args = compileArgs("aarch64-apple-darwin");
 * assert.ok(args.includes("--target") && args.at(-1) === "main.ts");
 * ```
 */
export function compileArgs(
  target: Target | "host",
  outDir = "dist",
): string[] {
  const targetArgs = target === "host" ? [] : ["--target", target];
  return [
    "compile",
    ...RUNTIME_FLAGS,
    ...targetArgs,
    "--output",
    outputPath(target, outDir),
    "main.ts",
  ];
}

/**
 * One line of a SHA256SUMS file, as `sha256sum` writes and checks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checksumLine } from "./compile.ts";
 * assert.ok(checksumLine(new Uint8Array(), "x").startsWith("e3b0c442"));
 * ```
 */
export function checksumLine(bytes: Uint8Array, name: string): string {
  return `${createHash("sha256").update(bytes).digest("hex")}  ${name}`;
}

/** The paragraph printed when no base binary can be had. */
export function noBaseBinaryHelp(target: string, detail: string): string {
  return [
    `deno task compile: cannot build sockit for ${target}.`,
    "`deno compile` needs Deno's runtime base binary (denort) for that target. It downloads it from",
    "Deno's download host the first time, and that host could not be reached from this machine",
    "(sockit's build machines reach only the npm registry and Debian's packages). Either run the",
    "task on a machine with internet access (the release workflow does, on GitHub's runners), or",
    `set DENORT_BIN to a denort ${Deno.version.deno} binary built for ${target} and run it again.`,
    `What deno said: ${detail}`,
  ].join("\n");
}

async function build(
  target: Target | "host",
  outDir: string,
): Promise<boolean> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: compileArgs(target, outDir),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (output.success) {
    const built = outputPath(target, outDir);
    if (target === "host") {
      const problem = await notSockit(built);
      if (problem) {
        await Deno.remove(built); // Nobody should ship it by mistake.
        console.error(`deno task compile: ${built} is not sockit: ${problem}`);
        return false;
      }
    }
    console.error(`built ${built}`);
    return true;
  }
  const stderr = new TextDecoder().decode(output.stderr);
  const cannotDownload =
    /dns error|lookup address|error sending request|download|connect/i.test(
      stderr,
    );
  const detail = stderr.match(/^\s*1: (.*)$/m)?.[1] ??
    stderr.match(/^error: (.*)$/m)?.[1] ?? stderr.trim();
  const name = target === "host" ? Deno.build.target : target;
  console.error(
    cannotDownload
      ? noBaseBinaryHelp(name, detail)
      : `deno task compile: deno compile failed for ${name}:\n${stderr}`,
  );
  return false;
}

/**
 * Why the binary at `path` is not a working sockit, or `null` if it is: it
 * must answer `--version` with sockit's name and version and pass `demo`.
 * `DENORT_BIN` pointing at the full `deno` makes `deno compile` succeed
 * with a plain deno, which this catches.
 */
async function notSockit(path: string): Promise<string | null> {
  const run = async (arg: string) => {
    const out = await new Deno.Command(path, {
      args: [arg],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout).trim(),
    };
  };
  const version = await run("--version");
  const expected = `sockit ${
    JSON.parse(await Deno.readTextFile("deno.json")).version
  } `;
  if (!version.text.startsWith(expected)) {
    return `\`--version\` printed ${
      JSON.stringify(version.text.split("\n")[0])
    }, not "${expected}..."; if DENORT_BIN is set, point it at a denort binary, not the full deno`;
  }
  const demo = await run("demo");
  return demo.code === 0
    ? null
    : `\`demo\` exited ${demo.code}: ${demo.text.split("\n").at(-1)}`;
}

async function main(args: string[]): Promise<number> {
  const all = args.includes("--all");
  const outAt = args.indexOf("--out-dir");
  const outDir = outAt >= 0 ? args[outAt + 1]! : "dist";
  await Deno.mkdir(outDir, { recursive: true });
  const targets: Array<Target | "host"> = all ? [...TARGETS] : ["host"];
  for (const target of targets) {
    if (!(await build(target, outDir))) return 1;
  }
  if (all) {
    const lines = [];
    for (const target of TARGETS) {
      const path = outputPath(target, outDir);
      lines.push(
        checksumLine(await Deno.readFile(path), path.slice(outDir.length + 1)),
      );
    }
    await Deno.writeTextFile(`${outDir}/SHA256SUMS`, lines.join("\n") + "\n");
    console.error(`wrote ${outDir}/SHA256SUMS`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
