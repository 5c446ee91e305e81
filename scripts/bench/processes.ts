/**
 * What the benchmark needs of the machine: running a tool to completion,
 * telling whether a tool is installed, building the C load generator and
 * the C reference server, and starting a server with a raised descriptor
 * limit.
 *
 * @module
 */

import { ServerProcess } from "../sockit_process.ts";

/** The repository's root, as a path ending in `/`. */
export const ROOT = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);
/** Where the C programs are built. */
export const BUILD = `${ROOT}bench/.build`;
/** The loopback address every case uses. */
export const HOST = "127.0.0.1";

/** Runs `program` to completion and returns its status and output. */
export async function run(
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

/** Whether `program --version` can run here. */
export async function has(program: string): Promise<boolean> {
  try {
    return (await run(program, ["--version"])).code !== 127;
  } catch {
    return false;
  }
}

/** Builds bench/loadgen.c and the C echo server into {@linkcode BUILD}. */
export async function build(): Promise<void> {
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

/**
 * Starts `argv` with up to 20,000 descriptors; it is ready when it prints a
 * line ending in its port (sockit's ready line does).
 */
export function startServer(argv: string[]): Promise<ServerProcess> {
  return ServerProcess.startProgram(
    ["/bin/sh", "-c", 'ulimit -n 20000 2>/dev/null; exec "$@"', "sh", ...argv],
    { ready: /\d+\s*$/ },
  );
}

/** Stops a server politely (SIGTERM, 8 s), then for sure. */
export async function stopServer(server: ServerProcess): Promise<void> {
  try {
    await server.stop("SIGTERM", 8000);
  } catch {
    // Still running after 8 s: disposing kills it.
  }
  await server[Symbol.asyncDispose]();
}

/** A process's resident memory, in KiB. */
export async function rssKiB(pid: number): Promise<number> {
  return Number(
    (await run("ps", ["-o", "rss=", "-p", String(pid)])).stdout.trim(),
  );
}
