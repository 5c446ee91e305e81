/**
 * Runs sockit as a user does: as a subprocess. The command is `SOCKIT_BIN`
 * when set (a compiled binary or a wrapper), else `deno run` of main.ts with
 * exactly the flags of deno.json's `sockit` task, so a permission the task
 * lacks fails a test.
 *
 * @module
 */

import { pathOf, withTimeout } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url);

/** The argv that starts sockit. */
export function sockitArgv(): string[] {
  const bin = Deno.env.get("SOCKIT_BIN");
  if (bin) return [bin];
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  const words: string[] = config.tasks.sockit.split(/\s+/);
  if (words[0] !== "deno" || words.at(-1) !== "main.ts") {
    throw new Error(`Unexpected sockit task: ${config.tasks.sockit}`);
  }
  return [
    Deno.execPath(),
    ...words.slice(1, -1),
    pathOf(new URL("main.ts", ROOT)),
  ];
}

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

/** A sockit server running as a subprocess. */
export class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** The address from the ready line, e.g. `tcp://127.0.0.1:4000`. */
  address = "";
  /** Lines the server wrote to stderr so far. */
  readonly stderrLines: string[] = [];
  /** Lines the server wrote to stdout so far. */
  readonly stdoutLines: string[] = [];
  readonly #pumps: Promise<void>[];
  readonly #waiters: Array<
    { re: RegExp; lines: string[]; resolve: (l: string) => void }
  > = [];

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#pumps = [
      this.#pump(child.stdout, this.stdoutLines),
      this.#pump(child.stderr, this.stderrLines),
    ];
  }

  /** Starts `sockit ARGS` and waits for its ready line. */
  static async start(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    const [program, ...baseArgs] = sockitArgv();
    const child = new Deno.Command(program!, {
      args: [...baseArgs, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env,
    }).spawn();
    const server = new ServerProcess(child);
    try {
      const ready = await Promise.race([
        server.waitForStdout(/^sockit \S+ listening on /, 15_000),
        child.status.then((s) => {
          throw new Error(
            `server exited with ${s.code} before its ready line: ${
              server.stderrLines.join("\n")
            }`,
          );
        }),
      ]);
      server.address = ready.replace(/^sockit \S+ listening on /, "");
    } catch (err) {
      await server[Symbol.asyncDispose]();
      throw err;
    }
    return server;
  }

  /** The port from the ready line. */
  get port(): number {
    return Number(this.address.match(/:(\d+)$/)?.[1]);
  }

  /** Resolves with the first stderr line matching `re`. */
  waitForStderr(re: RegExp, ms = 10_000): Promise<string> {
    return this.#waitFor(re, this.stderrLines, ms);
  }

  /** Resolves with the first stdout line matching `re`. */
  waitForStdout(re: RegExp, ms = 10_000): Promise<string> {
    return this.#waitFor(re, this.stdoutLines, ms);
  }

  /** Sends `signal` and resolves with the exit status, within `ms`. */
  async stop(
    signal: Deno.Signal = "SIGTERM",
    ms = 15_000,
  ): Promise<Deno.CommandStatus> {
    this.child.kill(signal);
    return await withTimeout(
      this.child.status,
      ms,
      `the server to exit after ${signal}`,
    );
  }

  #waitFor(re: RegExp, lines: string[], ms: number): Promise<string> {
    const found = lines.find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(
      new Promise((resolve) => this.#waiters.push({ re, lines, resolve })),
      ms,
      `a line ${re}`,
    );
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    lines: string[],
  ): Promise<void> {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        this.#addLine(lines, pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    }
    if (pending) this.#addLine(lines, pending);
  }

  #addLine(lines: string[], line: string): void {
    lines.push(line);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.lines === lines && waiter.re.test(line)) {
        this.#waiters.splice(i, 1);
        waiter.resolve(line);
      }
    }
  }

  /** Kills the server if it still runs and waits for it and its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.child.status;
    await Promise.all(this.#pumps);
  }
}
