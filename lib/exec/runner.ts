/**
 * Running one command for the exec server, within limits: its own process
 * group (so a timeout reaches every descendant), both pipes read at once
 * with one shared output cap, a time limit (SIGTERM to the group, SIGKILL
 * 2 s later), cancellation when the client goes away, and an environment
 * holding only PATH. When the command exits, anything it left running in
 * the background is killed, so no descendant outlives its reply.
 *
 * @module
 */

import type { ExecResult } from "./protocol.ts";
import { concatBytes, startsWithBytes } from "../io/bytes.ts";
import { Deadline, settlesWithin } from "../io/timers.ts";
import { ProcessGroup } from "./process_group.ts";

/** From SIGTERM to SIGKILL when a command must stop, by default: 2 s. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** How long a command's pipes may stay open after it exits, by default: 200 ms. */
export const DEFAULT_DRAIN_MS = 200;

/** What to run: a program and its arguments (`/bin/sh -c CMD` by default). */
export interface CommandLine {
  /** The program, by path or by name on PATH. */
  program: string;
  /** Its arguments. */
  args: string[];
}

/** Limits and inputs of {@linkcode runCommand}. */
export interface RunOptions {
  /** Bytes for the command's stdin; empty means /dev/null. */
  stdin: Uint8Array;
  /** Time limit in ms. */
  timeoutMs: number;
  /** Bytes of stdout plus stderr kept; past this the command is stopped. */
  maxOutput: number;
  /** Aborting stops the command (the client went away). */
  signal?: AbortSignal;
  /** From SIGTERM to SIGKILL, in ms. @default {2000} */
  killGraceMs?: number;
  /** After the command exits, how long its pipes may stay open, in ms. @default {200} */
  drainMs?: number;
  /**
   * Streams the output instead of keeping it: each chunk (within
   * `maxOutput`) is passed here as it is read, and the next read waits for
   * it, so a slow consumer stalls the command's pipes, not memory.
   */
  output?: (which: "stdout" | "stderr", chunk: Uint8Array) => Promise<void>;
  /** Stdin as it arrives, instead of `stdin`'s bytes; ends when it ends. */
  stdinSource?: AsyncIterable<Uint8Array>;
  /**
   * Called once the command has exited and its process group is killed,
   * before any output still in its pipes is drained: from then on the
   * command holds no slot, only its reply is left to send.
   */
  onExit?: () => void;
  /** Told of each command's process group, to kill it should the server die. */
  reaper?: {
    add(pgid: number): Promise<void>;
    remove(pgid: number): Promise<void>;
  };
}

/** A finished command: the result fields and the output kept. */
export interface RunOutcome extends ExecResult {
  /** Stdout kept. */
  stdout: Uint8Array;
  /** Stderr kept. */
  stderr: Uint8Array;
  /** Whether `signal` stopped it. */
  cancelled: boolean;
}

/**
 * Runs `spec` within `options`' limits. Never throws for what the command
 * does; a program that cannot be started reports exit code 127, as a shell does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCommand } from "./runner.ts";
 * const out = await runCommand({ program: "/bin/sh", args: ["-c", "echo hi"] },
 *   { stdin: new Uint8Array(), timeoutMs: 5000, maxOutput: 1024 });
 * assert.ok(out.exit_code === 0 && new TextDecoder().decode(out.stdout) === "hi\n");
 * ```
 */
export async function runCommand(
  spec: CommandLine,
  options: RunOptions,
): Promise<RunOutcome> {
  const started = performance.now();
  if (options.signal?.aborted) return cancelledBeforeStart();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(SETSID ?? spec.program, {
      args: SETSID ? ["--", spec.program, ...spec.args] : spec.args,
      detached: SETSID === undefined,
      stdin: options.stdin.length > 0 || options.stdinSource ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin" },
    }).spawn();
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound
      ? "command not found"
      : (err as Error).message;
    return notStarted(
      `sockit exec: ${spec.program}: ${why}\n`,
      performance.now() - started,
    );
  }
  await options.reaper?.add(child.pid);
  const group = new ProcessGroup(
    child.pid,
    options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    child.status,
  );
  const capture = new OutputCapture(
    options.maxOutput,
    () => group.stop("truncated"),
    options.output === undefined,
  );
  using timeLimit = new Deadline(
    options.timeoutMs,
    () => group.stop("timeout"),
  );
  const onAbort = () => group.stop("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const stdoutReader = child.stdout.getReader();
  const stderrReader = child.stderr.getReader();
  const reading = { lastRead: performance.now(), writing: 0 };
  const pumps = Promise.all([
    pump(stdoutReader, capture, "stdout", options.output, reading),
    pump(stderrReader, capture, "stderr", options.output, reading),
  ]);
  const feeding = options.stdinSource
    ? feedFrom(child.stdin, options.stdinSource)
    : options.stdin.length > 0
    ? feed(child.stdin, options.stdin)
    : Promise.resolve();
  try {
    const status = await child.status;
    const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
    let drained = await settlesWithin(pumps, drainMs);
    group.killNow();
    options.onExit?.();
    // Streaming, output may still be on its way to a slow client: wait while
    // it moves; only pipes held open with nothing to read are given up.
    while (!drained && options.output) {
      drained = await settlesWithin(pumps, drainMs);
      // Past --max-output nothing more goes out: an escaped writer can't hold it open.
      const idle = performance.now() - reading.lastRead >= drainMs ||
        capture.truncated;
      if (!drained && idle && reading.writing === 0) break;
    }
    if (!drained) {
      await Promise.all([stdoutReader.cancel(), stderrReader.cancel()]).catch(
        () => {},
      );
    }
    await pumps;
    // A streamed stdin may still wait for the client's next frame; its
    // connection ends it. Bytes given whole are fed by now, or refused.
    if (!options.stdinSource) await feeding;
    const stderr = capture.bytes("stderr");
    if (status.code === 127 && startsWithBytes(stderr, SETSID_NOT_FOUND)) {
      return notStarted(
        `sockit exec: ${spec.program}: command not found\n`,
        performance.now() - started,
      );
    }
    return {
      stdout: capture.bytes("stdout"),
      stderr,
      stdout_size: capture.size("stdout"),
      stderr_size: capture.size("stderr"),
      exit_code: status.signal ? null : status.code,
      signal: status.signal ?? null,
      timed_out: group.reason === "timeout",
      truncated: capture.truncated,
      duration_ms: Math.round(performance.now() - started),
      cancelled: group.reason === "cancelled",
    };
  } finally {
    timeLimit[Symbol.dispose]();
    group.dispose();
    await options.reaper?.remove(child.pid);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * `setsid` on Linux, to start each command in a session and process group of
 * its own. Deno's `detached: true` does the same but forks the whole server
 * to do it (about 4.5 ms a spawn against 2.4 ms through setsid, measured
 * here); elsewhere, `detached` it is. Not found, `undefined`.
 */
const SETSID = findSetsid();
const SETSID_NOT_FOUND = new TextEncoder().encode("setsid: failed to execute");

function findSetsid(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function notStarted(message: string, ms: number): RunOutcome {
  const stderr = new TextEncoder().encode(message);
  return {
    stdout: new Uint8Array(),
    stderr,
    stdout_size: 0,
    stderr_size: stderr.length,
    exit_code: 127,
    signal: null,
    timed_out: false,
    truncated: false,
    duration_ms: Math.round(ms),
    cancelled: false,
  };
}

function cancelledBeforeStart(): RunOutcome {
  return { ...notStarted("", 0), exit_code: null, cancelled: true };
}

/**
 * Keeps stdout and stderr under one shared byte budget.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputCapture } from "./runner.ts";
 * let full = false;
 * const capture = new OutputCapture(4, () => full = true);
 * capture.add("stdout", new Uint8Array(3));
 * capture.add("stderr", new Uint8Array(3));
 * assert.ok(full && capture.size("stderr") === 1 && capture.truncated);
 * ```
 */
export class OutputCapture {
  readonly #chunks: Record<"stdout" | "stderr", Uint8Array[]> = {
    stdout: [],
    stderr: [],
  };
  readonly #sizes = { stdout: 0, stderr: 0 };
  #kept = 0;
  truncated = false;

  /**
   * Counts at most `max` bytes in all, and keeps them unless `keep` is
   * false (streaming: they are passed on, not kept); calls `onFull` once
   * when more arrive.
   */
  constructor(
    readonly max: number,
    readonly onFull: () => void,
    readonly keep = true,
  ) {}

  /** Adds a chunk from one stream, cut to what the budget allows; returns the part within it. */
  add(which: "stdout" | "stderr", chunk: Uint8Array): Uint8Array {
    const room = this.max - this.#kept;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (part.length > 0) {
      if (this.keep) this.#chunks[which].push(part);
      this.#sizes[which] += part.length;
      this.#kept += part.length;
    }
    if (part.length < chunk.length && !this.truncated) {
      this.truncated = true;
      this.onFull();
    }
    return part;
  }

  /** Bytes kept from one stream. */
  size(which: "stdout" | "stderr"): number {
    return this.#sizes[which];
  }

  /** The bytes kept from one stream, joined. */
  bytes(which: "stdout" | "stderr"): Uint8Array {
    return concatBytes(this.#chunks[which]);
  }
}

async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  capture: OutputCapture,
  which: "stdout" | "stderr",
  output: RunOptions["output"],
  reading: { lastRead: number; writing: number },
): Promise<void> {
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      reading.lastRead = performance.now();
      const part = capture.add(which, value);
      if (output && part.length > 0) {
        reading.writing++;
        try {
          await output(which, part);
        } finally {
          reading.writing--;
        }
      }
    }
  } catch {
    // Cancelled after the command exited, with a background process still
    // holding the pipe; or, streaming, the client is gone: what is left in
    // the pipe goes nowhere.
    await reader.cancel().catch(() => {});
  }
}

async function feedFrom(
  stdin: WritableStream<Uint8Array>,
  source: AsyncIterable<Uint8Array>,
): Promise<void> {
  const writer = stdin.getWriter();
  try {
    for await (const chunk of source) await writer.write(chunk);
    await writer.close();
  } catch {
    // The command exited without reading all its stdin, or the client went away.
  }
}

async function feed(
  stdin: WritableStream<Uint8Array>,
  bytes: Uint8Array,
): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // The command exited without reading all its stdin.
  }
}
