/**
 * What a client reads and writes besides its socket: stdin, stdout, stderr
 * and whether stdin is a terminal. The CLI passes the process's own; the demo
 * and tests pass in-memory streams. Also the interactive prompt loop the
 * seed clients had (`>>> `, `quit` or Ctrl-D ends it), and the one way a
 * client writes a diagnostic line.
 *
 * @module
 */

import { formatErrorLine, OutputClosed } from "../io/errors.ts";
import { type ByteReader, type ByteWriter, writeAll } from "../io/streams.ts";
import { LineReader, MAX_LINE_BYTES } from "../io/lines.ts";

/** A client's standard streams. */
export interface ClientIo {
  /** Input: messages to send or bytes to stream. */
  stdin: ByteReader;
  /** Whether stdin is a terminal (prompt) or not (stream). */
  stdinIsTerminal: boolean;
  /** Replies. */
  stdout: ByteWriter;
  /** Diagnostics. */
  stderr: ByteWriter;
}

/**
 * The process's own standard streams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processIo } from "./client_io.ts";
 * const io = processIo();
 * assert.ok(typeof io.stdinIsTerminal === "boolean");
 * ```
 */
export function processIo(): ClientIo {
  return {
    stdin: Deno.stdin,
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdout: PROCESS_STDOUT,
    stderr: Deno.stderr,
  };
}

/** The process's stdout, whose closed pipe is an {@linkcode OutputClosed}, not a failure. */
export const PROCESS_STDOUT: ByteWriter = {
  async write(p: Uint8Array): Promise<number> {
    try {
      return await Deno.stdout.write(p);
    } catch (err) {
      if (err instanceof Deno.errors.BrokenPipe) throw new OutputClosed();
      throw err;
    }
  },
};

const encoder = new TextEncoder();

/**
 * Prompts on stdout (unless `prompt` is empty), reads lines from stdin and
 * calls `onLine` with each non-empty one, until `quit` or end of input.
 * Lines are capped at `maxLineBytes` (64 KiB unless told). While it waits
 * for a line, `whileWaiting` may watch something else: if that rejects,
 * the prompt ends with its error at once (a server that closed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runPrompt } from "./client_io.ts";
 * import { MemoryReader, MemoryWriter } from "../io/memory.ts";
 * const seen: string[] = [];
 * const stdin = new MemoryReader(new TextEncoder().encode("a\n\nquit\nb\n"));
 * const out = new MemoryWriter();
 * await runPrompt({ stdin, stdout: out, stderr: out, stdinIsTerminal: true }, ">>> ", (l) => {
 *   seen.push(l);
 *   return Promise.resolve();
 * });
 * assert.ok(seen.join() === "a");
 * ```
 */
export async function runPrompt(
  io: ClientIo,
  prompt: string,
  onLine: (line: string) => Promise<void>,
  maxLineBytes = MAX_LINE_BYTES,
  whileWaiting?: (stop: AbortSignal) => Promise<void>,
): Promise<void> {
  const lines = new LineReader(io.stdin, maxLineBytes);
  while (true) {
    if (prompt) await writeAll(io.stdout, encoder.encode(prompt));
    const line = await nextLine(lines, whileWaiting).catch(async (err) => {
      if (prompt) await writeAll(io.stdout, encoder.encode("\n")); // Off the prompt's line.
      throw err;
    });
    if (line === null) {
      if (prompt) await writeAll(io.stdout, encoder.encode("\n"));
      return;
    }
    const trimmed = line.trim();
    if (trimmed === "quit") return;
    if (trimmed === "") continue;
    await onLine(line);
  }
}

/**
 * The next line, while `whileWaiting` watches something else (a server
 * that may close); its rejection ends the wait. The watch is stopped before
 * the line is handed on, so it never reads while a request is in flight.
 */
async function nextLine(
  lines: LineReader,
  whileWaiting: ((stop: AbortSignal) => Promise<void>) | undefined,
): Promise<string | null> {
  if (!whileWaiting) return await lines.readLine();
  const stop = new AbortController();
  const watching = whileWaiting(stop.signal);
  const line = await Promise.race([
    lines.readLine(),
    watching.then(() => new Promise<never>(() => {})),
  ]);
  stop.abort();
  await watching;
  return line;
}

/**
 * Writes one diagnostic line to stderr as sockit writes every message:
 * `sockit: ` and the message (see {@linkcode formatErrorLine}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warn } from "./client_io.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const stderr = new MemoryWriter();
 * await warn({ stderr }, "No reply");
 * assert.ok(stderr.text() === "sockit: no reply\n");
 * ```
 */
export async function warn(
  io: Pick<ClientIo, "stderr">,
  message: string,
): Promise<void> {
  await writeAll(io.stderr, encoder.encode(formatErrorLine(message) + "\n"));
}
