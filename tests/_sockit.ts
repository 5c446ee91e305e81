/**
 * Runs sockit as a user does: as a subprocess, started the one way
 * `scripts/sockit_process.ts` starts it (`SOCKIT_BIN`, else `deno run`
 * main.ts with the binary's flags).
 *
 * @module
 */

import { sockitArgv } from "../scripts/sockit_process.ts";

export { ServerProcess, sockitArgv } from "../scripts/sockit_process.ts";

/** What a finished sockit run printed, and its exit code. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** Runs sockit to completion with `stdin`, within `timeoutMs`. */
export async function runSockit(
  args: string[],
  options: {
    stdin?: string | Uint8Array;
    env?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<RunResult> {
  const [program, ...baseArgs] = sockitArgv();
  const child = new Deno.Command(program!, {
    args: [...baseArgs, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env ?? {},
  }).spawn();
  const input = typeof options.stdin === "string"
    ? new TextEncoder().encode(options.stdin)
    : options.stdin;
  const writer = child.stdin.getWriter();
  const feed = (async () => {
    try {
      if (input) await writer.write(input);
      await writer.close();
    } catch {
      // The program exited without reading all its input.
    }
  })();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [output] = await Promise.all([child.output(), feed]);
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      stdoutBytes: output.stdout,
    };
  } finally {
    clearTimeout(timer);
  }
}
