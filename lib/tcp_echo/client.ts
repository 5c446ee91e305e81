/**
 * The TCP echo client: sends messages and checks replies, prompts on a
 * terminal, or streams stdin to the server like netcat, half-closing at EOF.
 *
 * @module
 */

import type { Tracer } from "../net/trace.ts";
import { type ClientIo, runPrompt } from "../cli/client_io.ts";
import { SockitError } from "../io/errors.ts";
import { checkExpected, printReply } from "../cli/messages.ts";
import { copy } from "../io/streams.ts";
import { IdleWatch } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatEndpoint } from "../net/address.ts";
import { closeWriteQuietly, openStream } from "../net/connect.ts";
import { type StreamConn } from "../net/stream_conn.ts";
import type { ClientTls } from "../net/tls.ts";
import { MessageExchange } from "./exchange.ts";

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
  /** Send each message as it is, and take all that comes until a pause as its reply. @default {false} */
  noNewline?: boolean;
  /** Trace each read and write (`--trace`). */
  tracer?: Tracer | undefined;
}

const encoder = new TextEncoder();

/**
 * Runs the TCP echo client and resolves to its exit code; failures throw a
 * {@linkcode SockitError}.
 *
 * With messages, each goes through a {@linkcode MessageExchange}: sent with
 * its `\n` (or as it is, with `noNewline`), its reply printed even when the
 * server closes or goes silent before the reply's end. Without, a terminal
 * gets a `>>> ` prompt and anything else is streamed to the server
 * (half-closed at EOF) while the server's bytes are copied out.
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
  using conn = await openStream(options.endpoint, options);
  const exchange = new MessageExchange(conn, {
    where: formatEndpoint(options.endpoint),
    timeoutMs: options.timeoutMs,
    noNewline: options.noNewline ?? false,
    longestMessage: Math.max(
      0,
      ...options.messages.map((m) => encoder.encode(m).length),
    ),
  });
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
    await runPrompt(
      io,
      ">>> ",
      async (line) => {
        await printReply(io.stdout, await exchange.send(line));
      },
      undefined,
      (stop) => exchange.watchForClose(stop),
    );
    await closeWriteQuietly(conn);
    return 0;
  }
  await streamStdin(conn, io, options);
  return 0;
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
    if (err instanceof SockitError) throw err; // Our stdout closed: not the network's fault.
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
