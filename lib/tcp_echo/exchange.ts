/**
 * One request and its reply at a time over a TCP echo connection, the way
 * the client's `--message` and prompt use it. A message goes out with its
 * `\n` and the reply is read up to as many `\n` (which fits every server
 * mode); with `--no-newline` it goes out as it is and the reply is
 * everything until the server closes or pauses for the time limit, as the
 * seeds' clients read it. Either way, a server that closes or goes silent
 * mid-reply yields what did arrive, not an error.
 *
 * @module
 */

import { SockitError } from "../io/errors.ts";
import { BufferedReader } from "../io/buffered_reader.ts";
import { MAX_LINE_BYTES } from "../io/lines.ts";
import { writeAll } from "../io/streams.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import type { StreamConn } from "../net/stream_conn.ts";
import { looksLikeTls, SPEAKS_TLS_HINT } from "../net/tls.ts";

/** A reply in message mode may be this many times its message (and at least 64 KiB): 4. */
export const REPLY_PER_MESSAGE = 4;

/** Options of a {@linkcode MessageExchange}. */
export interface ExchangeOptions {
  /** The server, as messages name it. */
  where: string;
  /** The limit on each reply, in ms. */
  timeoutMs: number;
  /** Send messages as they are, and take all that comes until a pause as the reply. @default {false} */
  noNewline?: boolean;
  /** The longest message that will be sent, to size the reply buffer. @default {MAX_LINE_BYTES} */
  longestMessage?: number;
}

const encoder = new TextEncoder();

/**
 * Sends messages and reads their replies on one connection.
 *
 * @example
 * ```ts ignore
 * import { MessageExchange } from "./exchange.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 20000 });
 * const reply = await new MessageExchange(conn, { where: "tcp://127.0.0.1:20000", timeoutMs: 5000 }).send("hi");
 * ```
 */
export class MessageExchange {
  readonly #conn: StreamConn;
  readonly #options: ExchangeOptions;
  readonly #input: BufferedReader;
  readonly #maxReply: number;

  /** Speaks on `conn` within `options`. */
  constructor(conn: StreamConn, options: ExchangeOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#maxReply = Math.max(
      MAX_LINE_BYTES,
      REPLY_PER_MESSAGE * ((options.longestMessage ?? MAX_LINE_BYTES) + 1),
    );
    this.#input = new BufferedReader(conn, this.#maxReply);
  }

  /**
   * Watches the connection while no request is in flight, until `stop`;
   * rejects when the server closes it (a prompt says so at once, not at the
   * next line). Bytes that arrive meanwhile are kept for the next reply.
   */
  async watchForClose(stop: AbortSignal): Promise<void> {
    if (await this.#input.watchForEof(stop)) {
      throw new SockitError(
        `${this.#options.where} closed the connection`,
      );
    }
  }

  /** Sends `message` and resolves to its reply (without the final `\n`). */
  async send(message: string): Promise<Uint8Array> {
    const noNewline = this.#options.noNewline ?? false;
    const request = encoder.encode(noNewline ? message : message + "\n");
    await this.#write(request);
    try {
      return noNewline
        ? await this.#readUntilPause()
        : await this.#readLines(countNewlines(request));
    } catch (err) {
      if (err instanceof SockitError) throw err;
      throw this.#failed(err);
    }
  }

  async #write(request: Uint8Array): Promise<void> {
    using deadline = new Deadline(
      this.#options.timeoutMs,
      () => this.#conn.close(),
    );
    try {
      await writeAll(this.#conn, request);
    } catch (err) {
      if (deadline.expired) throw this.#noReply();
      throw this.#failed(err);
    }
  }

  #failed(err: unknown): SockitError {
    return new SockitError(
      `Connection to ${this.#options.where} failed: ${(err as Error).message}`,
      { cause: err },
    );
  }

  /** Reads until `lines` newlines have come, or what came before a close or the time limit. */
  async #readLines(lines: number): Promise<Uint8Array> {
    using deadline = new Deadline(this.#options.timeoutMs);
    let seen = 0;
    let scanned = 0;
    while (true) {
      const data = this.#input.view();
      for (; scanned < data.length; scanned++) {
        if (data[scanned] === 0x0a && ++seen === lines) {
          return this.#input.take(scanned + 1).subarray(0, -1);
        }
      }
      const more = await this.#more(deadline);
      if (more !== "ok") return this.#partial(more);
    }
  }

  /** Reads until the server closes or sends nothing for the time limit. */
  async #readUntilPause(): Promise<Uint8Array> {
    while (true) {
      using pause = new Deadline(this.#options.timeoutMs);
      const more = await this.#more(pause);
      if (more !== "ok") return this.#partial(more);
    }
  }

  async #more(deadline: Deadline): Promise<"ok" | "eof" | "pause"> {
    if (this.#input.length >= this.#maxReply) {
      throw new SockitError(
        `Reply from ${this.#options.where} is longer than ${this.#maxReply} bytes`,
      );
    }
    if (deadline.remainingMs <= 0) return "pause";
    return await this.#input.fill(this.#input.length + 1, deadline.remainingMs);
  }

  /** What arrived before a close or a pause; an error if nothing did, or if a TLS server sent it. */
  #partial(why: "eof" | "pause"): Uint8Array {
    if (looksLikeTls(this.#input.view())) {
      throw new SockitError(
        `${this.#options.where} answered in TLS: ${SPEAKS_TLS_HINT}`,
      );
    }
    if (this.#input.length > 0) return this.#input.take(this.#input.length);
    if (why === "eof") {
      throw new SockitError(
        `${this.#options.where} closed the connection before the reply was complete`,
      );
    }
    throw this.#noReply();
  }

  #noReply(): SockitError {
    return new SockitError(
      `No reply from ${this.#options.where} within ${
        formatSeconds(this.#options.timeoutMs)
      }; raise --timeout if the server is slow`,
    );
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (const b of bytes) if (b === 0x0a) count++;
  return count;
}
