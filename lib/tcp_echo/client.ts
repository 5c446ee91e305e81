/**
 * The TCP echo client: sends messages and checks replies, prompts on a
 * terminal, or streams stdin to the server like netcat, half-closing at EOF.
 *
 * @module
 */

import { type ClientIo, runPrompt } from "../cli/client_io.ts";
import { SockitError } from "../cli/errors.ts";
import { checkExpected, printReply } from "../cli/messages.ts";
import { concatBytes } from "../io/bytes.ts";
import { MAX_LINE_BYTES } from "../io/lines.ts";
import { copy, writeAll } from "../io/streams.ts";
import { Deadline, IdleWatch } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatEndpoint } from "../net/address.ts";
import { closeWriteQuietly, openStream } from "../net/connect.ts";
import { type StreamConn } from "../net/stream_conn.ts";
import type { ClientTls } from "../net/tls.ts";
import { ECHO_BUFFER_BYTES } from "./server.ts";

/** Options of {@linkcode runTcpEchoClient}. */
export interface TcpEchoClientOptions {
  /** The server. */
  endpoint: Endpoint;
  /** Connect over TLS, checking the server this way. */
  tls?: ClientTls;
  /** Messages to send, one exchange each; empty means prompt or stream stdin. */
  messages: readonly string[];
  /** Expected replies, paired with `messages` by position; empty means no check. */
  expects: readonly string[];
  /** Bounds the connect and each reply, in ms. */
  timeoutMs: number;
}

/**
 * Runs the TCP echo client and resolves to its exit code; failures throw a
 * {@linkcode SockitError}.
 *
 * With messages, each is sent followed by `\n` and its reply is read up to
 * the same number of line endings, which fits every server mode. Without,
 * a terminal gets a `>>> ` prompt and anything else is streamed to the
 * server (half-closed at EOF) while the server's bytes are copied out.
 *
 * @example
 * ```ts ignore
 * import { runTcpEchoClient } from "./client.ts";
 * import { processIo } from "../cli/client_io.ts";
 * await runTcpEchoClient({
 *   endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 20000 },
 *   messages: ["hi"], expects: ["hi"], timeoutMs: 10_000,
 * }, processIo());
 * ```
 */
export async function runTcpEchoClient(
  options: TcpEchoClientOptions,
  io: ClientIo,
): Promise<number> {
  using conn = await openStream(
    options.endpoint,
    options.timeoutMs,
    options.tls,
  );
  const exchange = new LineExchange(conn, options.endpoint, options.timeoutMs);
  if (options.messages.length > 0) {
    for (const [i, message] of options.messages.entries()) {
      const reply = await exchange.send(message);
      await printReply(io.stdout, reply);
      checkExpected(options.expects[i], reply, i);
    }
    await closeWriteQuietly(conn);
    return 0;
  }
  if (io.stdinIsTerminal) {
    await runPrompt(io, ">>> ", async (line) => {
      await printReply(io.stdout, await exchange.send(line));
    });
    await closeWriteQuietly(conn);
    return 0;
  }
  await streamStdin(conn, io, options);
  return 0;
}

const encoder = new TextEncoder();

/**
 * One request-reply exchange at a time over a connection: send a message and
 * its `\n`, read until as many `\n` come back. Bytes past the reply are kept
 * for the next one.
 */
class LineExchange {
  readonly #conn: StreamConn;
  readonly #where: string;
  readonly #timeoutMs: number;
  #leftover = new Uint8Array(0);

  constructor(conn: StreamConn, endpoint: Endpoint, timeoutMs: number) {
    this.#conn = conn;
    this.#where = formatEndpoint(endpoint);
    this.#timeoutMs = timeoutMs;
  }

  async send(message: string): Promise<Uint8Array> {
    const request = encoder.encode(message + "\n");
    const lines = countNewlines(request);
    const maxReply = Math.max(MAX_LINE_BYTES, 4 * request.length);
    using deadline = new Deadline(this.#timeoutMs, () => this.#conn.close());
    try {
      await writeAll(this.#conn, request);
      const reply = await this.#readLines(lines, maxReply);
      return reply.subarray(0, -1);
    } catch (err) {
      if (deadline.expired) {
        throw new SockitError(
          `No reply from ${this.#where} within ${
            formatSeconds(this.#timeoutMs)
          }; raise --timeout if the server is slow`,
        );
      }
      if (err instanceof SockitError) throw err;
      throw new SockitError(
        `Connection to ${this.#where} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  async #readLines(lines: number, maxReply: number): Promise<Uint8Array> {
    let data = this.#leftover;
    let seen = 0;
    let scanned = 0;
    const buffer = new Uint8Array(ECHO_BUFFER_BYTES);
    while (true) {
      for (; scanned < data.length; scanned++) {
        if (data[scanned] === 0x0a && ++seen === lines) {
          this.#leftover = data.slice(scanned + 1);
          return data.subarray(0, scanned + 1);
        }
      }
      if (data.length > maxReply) {
        throw new SockitError(
          `Reply from ${this.#where} is longer than ${maxReply} bytes`,
        );
      }
      const n = await this.#conn.read(buffer);
      if (n === null) {
        throw new SockitError(
          `${this.#where} closed the connection before the reply was complete`,
        );
      }
      data = concatBytes([data, buffer.subarray(0, n)]);
    }
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (const b of bytes) if (b === 0x0a) count++;
  return count;
}

async function streamStdin(
  conn: StreamConn,
  io: ClientIo,
  options: TcpEchoClientOptions,
): Promise<void> {
  const where = formatEndpoint(options.endpoint);
  let idle: IdleWatch | undefined;
  const toServer = copy(io.stdin, conn)
    .then(() => {
      idle = new IdleWatch(options.timeoutMs, () => conn.close());
      return conn.closeWrite();
    })
    .catch(() => {
      // The server closed first: what it sent is still copied below.
    });
  try {
    await copy(conn, io.stdout, { onRead: () => idle?.touch() });
  } catch (err) {
    if (idle?.fired) {
      throw new SockitError(
        `No data from ${where} for ${
          formatSeconds(options.timeoutMs)
        } after stdin ended; raise --timeout if the server is slow`,
      );
    }
    throw new SockitError(
      `Connection to ${where} failed: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    idle?.[Symbol.dispose]();
  }
  if (idle) await toServer;
}
