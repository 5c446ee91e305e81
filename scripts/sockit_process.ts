/**
 * The one way the tests, the soak and the benchmark start a server as a
 * subprocess: sockit as a user runs it (`SOCKIT_BIN` when set, a compiled
 * binary or a wrapper; else `deno run main.ts` with exactly the binary's
 * flags, so a permission it lacks fails here too), or any program that
 * prints a ready line. The process is started directly, never through a
 * wrapper, so stopping it stops the server itself.
 *
 * @module
 */

import { Deadline, whenAborted } from "../lib/io/timers.ts";
import { RUNTIME_FLAGS } from "../lib/cli/self.ts";
import { quoteWord } from "../lib/exec/shell_words.ts";

const ROOT = new URL("../", import.meta.url);

/** A file URL as a path for this OS (`URL.pathname` is wrong on Windows: `/C:/...`). */
export function pathOf(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows"
    ? path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\")
    : path;
}

/**
 * The argv that starts sockit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sockitArgv } from "./sockit_process.ts";
 * assert.ok(sockitArgv().length >= 1);
 * ```
 */
export function sockitArgv(): string[] {
  const bin = Deno.env.get("SOCKIT_BIN");
  if (bin) return [bin];
  return [
    Deno.execPath(),
    "run",
    ...RUNTIME_FLAGS,
    pathOf(new URL("main.ts", ROOT)),
  ];
}

/**
 * {@linkcode sockitArgv} as a command line for `/bin/sh`, each word quoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sockitCommandLine } from "./sockit_process.ts";
 * assert.ok(sockitCommandLine().length > 0);
 * ```
 */
export function sockitCommandLine(): string {
  return sockitArgv().map(quoteWord).join(" ");
}

/** Waits for `promise` at most `ms`; rejects naming `what` after that. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  using deadline = new Deadline(ms);
  using expired = whenAborted(deadline.signal);
  return await Promise.race([
    promise,
    expired.promise.then(() => {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }),
  ]);
}

/** How to start a program that is not sockit. */
export interface ProgramStart {
  /** Its first stdout line matching this means it is ready; the line's last number is its port. */
  ready: RegExp;
  /** Its environment (added to this process's). @default {{}} */
  env?: Record<string, string>;
}

/** The ready line every sockit server prints. */
const SOCKIT_READY = /^sockit \S+ listening on /;

/** A server running as a subprocess; disposing it kills it and waits for it. */
export class ServerProcess implements AsyncDisposable {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** The ready line, e.g. `sockit tcp-echo listening on tcp://127.0.0.1:4000`. */
  readyLine = "";
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
  static start(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    return ServerProcess.startProgram([...sockitArgv(), ...args], {
      ready: SOCKIT_READY,
      env,
    });
  }

  /** Starts `argv` and waits for its ready line. */
  static async startProgram(
    argv: string[],
    start: ProgramStart,
  ): Promise<ServerProcess> {
    const [program, ...args] = argv;
    // Stdin stays open (and empty) while the server runs: a chat server
    // ends at the end of its operator's input, as on a terminal.
    const child = new Deno.Command(program!, {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: start.env ?? {},
    }).spawn();
    const server = new ServerProcess(child);
    try {
      server.readyLine = await Promise.race([
        server.waitForStdout(start.ready, 15_000),
        child.status.then((s) => {
          throw new Error(
            `${argv.join(" ")} exited with ${s.code} before its ready line: ${
              server.stderrLines.join("\n")
            }`,
          );
        }),
      ]);
    } catch (err) {
      await server[Symbol.asyncDispose]();
      throw err;
    }
    return server;
  }

  /** The address from a sockit ready line, e.g. `tcp://127.0.0.1:4000`. */
  get address(): string {
    return this.readyLine.replace(SOCKIT_READY, "");
  }

  /** The port: the ready line's last number. */
  get port(): number {
    return Number(this.readyLine.match(/(\d+)\s*$/)?.[1]);
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
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
    return await within(
      this.child.status,
      ms,
      `the server to exit after ${signal}`,
    );
  }

  #waitFor(re: RegExp, lines: string[], ms: number): Promise<string> {
    const found = lines.find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return within(
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
    await this.child.stdin.close().catch(() => {});
    await Promise.all(this.#pumps);
  }
}
