/**
 * A reply as the exec client holds it, and the one place the client
 * prints it, like ssh: remote stdout to stdout and remote stderr to stderr
 * (as the chunks come, when the reply streams), or JSON; the remote status
 * becomes the exit code.
 *
 * @module
 */

import type { ClientIo } from "../cli/client_io.ts";
import { writeAll } from "../io/streams.ts";
import { WriteQueue } from "../io/write_queue.ts";
import { exitHeader } from "./protocol.ts";
import { clientExitCode, encodeResult, type ExecResult } from "./result.ts";

/** Output gathered for this process's stdout or stderr while the last write is out: 512 KiB. */
export const MAX_QUEUED_PRINT = 512 * 1024;

/** A reply: the result, and the output that came with it (none when it went out as it came). */
export interface Reply {
  /** What the server said about the command. */
  result: ExecResult;
  /** Stdout, when it came in the reply's body. */
  stdout: Uint8Array;
  /** Stderr, when it came in the reply's body. */
  stderr: Uint8Array;
  /** Whether the output came as chunks, already handed on. */
  streamed: boolean;
  /** A single reply's SHA-256 of its body, checked; `null` otherwise. */
  sha256: string | null;
}

/** Where a streamed reply's chunks go as they arrive. */
export interface ChunkSink {
  /** Takes one chunk of one stream (the bytes are valid until it settles, not after). */
  chunk(type: "stdout" | "stderr", bytes: Uint8Array): Promise<void>;
}

/**
 * Prints replies: each chunk as it comes, then the result. Raw, each
 * stream's bytes go to its own output through a bounded queue; with
 * `json`, every chunk is one `{"type","data"}` object (each stream decoded
 * with its own streaming decoder, so a UTF-8 character split across two
 * chunks prints whole, in the object of the chunk that completes it) and
 * the end one exit object; a single reply is one object with the result,
 * `stdout` and `stderr`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReplyPrinter } from "./reply.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const io = { stdout: new MemoryWriter(), stderr: new MemoryWriter() };
 * const printer = new ReplyPrinter(io, false);
 * await printer.chunk("stdout", new TextEncoder().encode("hi"));
 * const result = { stdout_size: 2, stderr_size: 0, exit_code: 3, signal: null, timed_out: false, truncated: false, duration_ms: 1 };
 * const code = await printer.finish({ result, stdout: new Uint8Array(), stderr: new Uint8Array(), streamed: true, sha256: null });
 * assert.ok(code === 3 && io.stdout.text() === "hi");
 * ```
 */
export class ReplyPrinter implements ChunkSink {
  readonly #io: Pick<ClientIo, "stdout" | "stderr">;
  readonly #json: boolean;
  readonly #out: Record<"stdout" | "stderr", WriteQueue>;
  #last: "stdout" | "stderr" = "stdout";
  readonly #decoders = {
    stdout: new TextDecoder(),
    stderr: new TextDecoder(),
  };

  /** Prints to `io`, raw or as JSON. */
  constructor(io: Pick<ClientIo, "stdout" | "stderr">, json: boolean) {
    this.#io = io;
    this.#json = json;
    this.#out = {
      stdout: new WriteQueue(io.stdout, MAX_QUEUED_PRINT),
      stderr: new WriteQueue(io.stderr, MAX_QUEUED_PRINT),
    };
  }

  /** Prints one chunk of a streamed reply. */
  async chunk(type: "stdout" | "stderr", bytes: Uint8Array): Promise<void> {
    if (!this.#json) {
      // Output in the order it came: the other stream's queue goes out first.
      if (type !== this.#last) await this.#out[this.#last].flush();
      this.#last = type;
      return await this.#out[type].write(bytes);
    }
    const data = this.#decoders[type].decode(bytes, { stream: true });
    if (data !== "") await this.#object({ type, data });
  }

  /**
   * Prints the end of a reply and resolves to the client's exit code: the
   * output a single reply carried, or, streamed, what is left (with JSON,
   * a character cut off at the end, as U+FFFD) and the exit object.
   */
  async finish(reply: Reply): Promise<number> {
    if (reply.streamed && this.#json) {
      for (const type of ["stdout", "stderr"] as const) {
        const rest = this.#decoders[type].decode();
        if (rest !== "") await this.#object({ type, data: rest });
      }
      await this.#object(exitHeader(reply.result));
    } else if (this.#json) {
      await this.#object({
        total_size: reply.stdout.length + reply.stderr.length,
        ...encodeResult(reply.result),
        sha256: reply.sha256,
        stdout: new TextDecoder().decode(reply.stdout),
        stderr: new TextDecoder().decode(reply.stderr),
      });
    } else {
      await this.#out.stderr.flush();
      await this.#out.stdout.write(reply.stdout);
      await this.#out.stdout.flush();
      await this.#out.stderr.write(reply.stderr);
    }
    await this.#out.stdout.flush();
    await this.#out.stderr.flush();
    return clientExitCode(reply.result);
  }

  /** At a prompt, shows a status that is not 0, as `[exit N]` on stderr. */
  async exitNote(code: number): Promise<void> {
    if (code === 0) return;
    await this.#out.stderr.flush();
    await writeAll(
      this.#io.stderr,
      new TextEncoder().encode(`[exit ${code}]\n`),
    );
  }

  async #object(value: Record<string, unknown>): Promise<void> {
    await this.#out.stdout.write(
      new TextEncoder().encode(JSON.stringify(value) + "\n"),
    );
  }
}
