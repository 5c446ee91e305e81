/**
 * Runs sockit as a user does: as a subprocess, started the one way
 * `scripts/sockit_process.ts` starts it (`SOCKIT_BIN`, else `deno run`
 * main.ts with the binary's flags).
 *
 * @module
 */

import { sockitArgv, sockitCommandLine } from "../scripts/sockit_process.ts";
import { withTimeout } from "./_helpers.ts";

export {
  ServerProcess,
  sockitArgv,
  sockitCommandLine,
} from "../scripts/sockit_process.ts";

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

/** A sockit process with stdin to type into and stdout lines to wait for. */
export class PipedProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly lines: string[] = [];
  /** What it wrote to stderr, line by line. */
  readonly errorLines: string[] = [];
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pumps: Promise<void>[];
  #stdinOpen = true;
  #notify: () => void = () => {};

  constructor(args: string[]) {
    const [program, ...base] = sockitArgv();
    this.child = new Deno.Command(program!, {
      args: [...base, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#pumps = [
      this.#pump(this.child.stdout, this.lines),
      this.#pump(this.child.stderr, this.errorLines),
    ];
  }

  async #pump(stream: ReadableStream<Uint8Array>, lines: string[]) {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      pending += text;
      let i: number;
      while ((i = pending.indexOf("\n")) >= 0) {
        lines.push(pending.slice(0, i));
        pending = pending.slice(i + 1);
        this.#notify();
      }
    }
  }

  async type(line: string) {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  async closeStdin() {
    this.#stdinOpen = false;
    await this.#writer.close();
  }

  /** Resolves with the first stderr line matching `re`. */
  waitForErrorLine(re: RegExp, ms = 10_000): Promise<string> {
    return this.waitForLine(re, ms, this.errorLines);
  }

  /** Resolves with the first stdout line (or line of `lines`) matching `re`. */
  waitForLine(re: RegExp, ms = 10_000, lines = this.lines): Promise<string> {
    return withTimeout(
      new Promise<string>((resolve) => {
        const check = () => {
          const found = lines.find((l) => re.test(l));
          if (found !== undefined) resolve(found);
        };
        const previous = this.#notify;
        this.#notify = () => {
          previous();
          check();
        };
        check();
      }),
      ms,
      `a line ${re} (got ${JSON.stringify(lines)})`,
    );
  }

  async [Symbol.asyncDispose]() {
    if (this.#stdinOpen) await this.#writer.close().catch(() => {});
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Exited.
    }
    await this.child.status;
    await Promise.all(this.#pumps);
  }
}

/**
 * Writes `DIR/sockit`, a shell wrapper that runs sockit as the tests do, so
 * a shell line that says `sockit ...` runs it with `DIR` on PATH.
 */
export async function writeSockitWrapper(dir: string): Promise<void> {
  await Deno.writeTextFile(
    `${dir}/sockit`,
    `#!/bin/sh\nexec ${sockitCommandLine()} "$@"\n`,
    { mode: 0o755 },
  );
}
