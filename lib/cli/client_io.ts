/**
 * What a client reads and writes besides its socket: stdin, stdout, stderr
 * and whether stdin is a terminal. The CLI passes the process's own; the demo
 * and tests pass in-memory streams. Also the interactive prompt loop the
 * seed clients had (`>>> `, `quit` or Ctrl-D ends it).
 *
 * @module
 */

import { SockitError } from "./errors.ts";
import {
  type ByteReader,
  type ByteWriter,
  LineReader,
  writeAll,
} from "../io/streams.ts";

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
 * import { processIo } from "./client_io.ts";
 * const io = processIo();
 * console.assert(typeof io.stdinIsTerminal === "boolean");
 * ```
 */
export function processIo(): ClientIo {
  return {
    stdin: Deno.stdin,
    stdinIsTerminal: Deno.stdin.isTerminal(),
    stdout: Deno.stdout,
    stderr: Deno.stderr,
  };
}

const encoder = new TextEncoder();

/**
 * Prompts on stdout (unless `prompt` is empty), reads lines from stdin and
 * calls `onLine` with each non-empty one, until `quit` or end of input.
 * Lines are capped at 64 KiB.
 *
 * @example
 * ```ts
 * import { runPrompt } from "./client_io.ts";
 * import { MemoryReader, MemoryWriter } from "../io/streams.ts";
 * const seen: string[] = [];
 * const stdin = new MemoryReader(new TextEncoder().encode("a\n\nquit\nb\n"));
 * const out = new MemoryWriter();
 * await runPrompt({ stdin, stdout: out, stderr: out, stdinIsTerminal: true }, ">>> ", (l) => {
 *   seen.push(l);
 *   return Promise.resolve();
 * });
 * console.assert(seen.join() === "a");
 * ```
 */
export async function runPrompt(
  io: ClientIo,
  prompt: string,
  onLine: (line: string) => Promise<void>,
): Promise<void> {
  const lines = new LineReader(io.stdin);
  while (true) {
    if (prompt) await writeAll(io.stdout, encoder.encode(prompt));
    const line = await lines.readLine();
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
 * Throws a {@linkcode SockitError} when a reply is not the `--expect` text
 * given for it (nothing to check when `expected` is `undefined`).
 *
 * @example
 * ```ts
 * import { checkExpected } from "./client_io.ts";
 * checkExpected("hi", new TextEncoder().encode("hi"), 0);
 * ```
 */
export function checkExpected(
  expected: string | undefined,
  reply: Uint8Array,
  index: number,
): void {
  if (expected === undefined) return;
  const got = new TextDecoder().decode(reply);
  if (got !== expected) {
    throw new SockitError(
      `Reply ${index + 1} differs from --expect: expected ${
        JSON.stringify(expected)
      }, got ${JSON.stringify(got)}`,
    );
  }
}

/**
 * Writes a reply to stdout on a line of its own.
 *
 * @example
 * ```ts
 * import { printReply } from "./client_io.ts";
 * import { MemoryWriter } from "../io/streams.ts";
 * const out = new MemoryWriter();
 * await printReply(out, new TextEncoder().encode("hi"));
 * console.assert(out.text() === "hi\n");
 * ```
 */
export async function printReply(
  stdout: ByteWriter,
  reply: Uint8Array,
): Promise<void> {
  const line = new Uint8Array(reply.length + 1);
  line.set(reply);
  line[reply.length] = 0x0a;
  await writeAll(stdout, line);
}
