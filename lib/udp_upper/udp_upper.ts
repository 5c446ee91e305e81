/**
 * The UDP uppercase service: a server that answers each datagram with the
 * datagram uppercased (never longer, rate-capped, never to blocked sources),
 * and a client that retransmits with backoff, accepts replies only from the
 * address it sent to, and does not take a late duplicate for the next answer.
 *
 * @module
 */

import { formatEndpoint, formatHostPort } from "../net/address.ts";
import {
  checkExpected,
  type ClientIo,
  printReply,
  runPrompt,
} from "../cli/client_io.ts";
import { formatSeconds } from "../net/connect.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import { describeOsError, SockitError } from "../cli/errors.ts";
import type { Logger } from "../io/log.ts";
import { DropCounter, RateLimiter, refusalReason } from "./reflection_guard.ts";
import { openUdpClient } from "../net/udp_socket.ts";
import { LineReader, writeAll } from "../io/streams.ts";
import { errorText } from "../net/accept_loop.ts";
import { Backoff } from "../io/timers.ts";
import { upperDatagram } from "./upper.ts";

/** The largest UDP payload over IPv4: 65,507 bytes. */
export const MAX_DATAGRAM_BYTES = 65507;
/** How much of a payload a log line shows: 80 characters. */
export const LOG_PREVIEW_CHARS = 80;

/** Options of {@linkcode serveUdpUpper}. */
export interface UdpUpperServerOptions {
  /** Aborting closes the socket and ends the server. */
  signal: AbortSignal;
  /** Where datagram lines and drop counts go. */
  logger: Logger;
  /** Replies per second per source address; 0 = no cap. @default {1000} */
  ratePerSecond?: number;
}

/** Counts a server keeps, for tests and the final log line. */
export interface UdpUpperStats {
  /** Datagrams received. */
  received: number;
  /** Replies sent. */
  replied: number;
  /** Datagrams dropped (blocked source or rate cap). */
  dropped: number;
}

/**
 * Serves UDP uppercase on a bound socket until `options.signal` aborts.
 * Nothing a datagram carries ends the loop.
 *
 * @example
 * ```ts
 * import { serveUdpUpper } from "./udp_upper.ts";
 * import { Logger } from "../io/log.ts";
 * const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * const stop = new AbortController();
 * const served = serveUdpUpper(socket, { signal: stop.signal, logger: new Logger({ service: "doc", quiet: true, sink: () => {} }) });
 * stop.abort();
 * await served;
 * ```
 */
export async function serveUdpUpper(
  socket: Deno.DatagramConn,
  options: UdpUpperServerOptions,
): Promise<UdpUpperStats> {
  const { signal, logger } = options;
  const self = socket.addr as Deno.NetAddr;
  const limiter = new RateLimiter({ perSecond: options.ratePerSecond ?? 1000 });
  const drops = new DropCounter();
  const stats: UdpUpperStats = { received: 0, replied: 0, dropped: 0 };
  const logDrops = () => {
    for (const { reason, source, count } of drops.take()) {
      logger.warn("dropped", { reason, source, count, per: "1s" });
    }
  };
  const dropTimer = setInterval(logDrops, 1000);
  const close = () => closeQuietly(socket);
  signal.addEventListener("abort", close, { once: true });
  if (signal.aborted) close();
  let sendsInFlight = 0;
  const serveOne = (
    data: Uint8Array,
    from: Deno.NetAddr,
  ): Promise<unknown> | undefined => {
    stats.received++;
    if (!logger.quiet) logDatagram(logger, peerOf(from), data);
    const refusal = refusalReason(from, self) ??
      (limiter.allow(from.hostname, performance.now()) ? null : "rate-limited");
    if (refusal) {
      stats.dropped++;
      drops.add(
        refusal,
        refusal === "rate-limited" ? from.hostname : peerOf(from),
      );
      return undefined;
    }
    // Not awaited by the caller unless too many are in flight: the next
    // receive starts at once. The reply is a copy; the buffer is reused.
    sendsInFlight++;
    return socket.send(upperDatagram(data), from).then(
      () => stats.replied++,
      (err) => {
        if (!signal.aborted) {
          logger.warn("send-failed", {
            peer: peerOf(from),
            error: errorText(err),
          });
        }
      },
    ).finally(() => sendsInFlight--);
  };
  const receiveLoop = async (): Promise<void> => {
    const buffer = new Uint8Array(65536);
    const backoff = new Backoff(5, 1000);
    while (true) {
      try {
        const [data, from] = await socket.receive(buffer);
        backoff.reset();
        const sending = serveOne(data, from as Deno.NetAddr);
        if (sending && sendsInFlight > MAX_SENDS_IN_FLIGHT) await sending;
      } catch (err) {
        if (signal.aborted || err instanceof Deno.errors.BadResource) return;
        logger.warn("receive-failed", {
          error: errorText(err),
          retry_ms: backoff.nextMs,
        });
        await backoff.wait(signal);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: UDP_RECEIVERS }, receiveLoop),
    );
  } finally {
    clearInterval(dropTimer);
    signal.removeEventListener("abort", close);
    closeQuietly(socket);
    logDrops();
  }
  logger.notice("stopped", { ...stats });
  return stats;
}

/**
 * Receives kept in flight at once on the server's socket: with one, each
 * datagram waits for the round trip into the runtime of the one before.
 */
export const UDP_RECEIVERS = 8;

/** Replies sent and not yet confirmed before receivers wait for them: 64. */
export const MAX_SENDS_IN_FLIGHT = 64;

function peerOf(from: Deno.NetAddr): string {
  return formatHostPort(from.hostname, from.port);
}

function logDatagram(logger: Logger, peer: string, data: Uint8Array): void {
  const says = previewPayload(data);
  logger.info(
    "datagram",
    { peer, bytes: data.length, says },
    `client ${peer} says '${says}'`,
  );
}

const lenientDecoder = new TextDecoder();

/**
 * A payload as a log shows it: decoded leniently, control characters
 * escaped, cut after 80 characters with the full size noted.
 *
 * @example
 * ```ts
 * import { previewPayload } from "./udp_upper.ts";
 * console.assert(previewPayload(new TextEncoder().encode("a\nb")) === "a\\nb");
 * console.assert(previewPayload(new Uint8Array(200).fill(0x61)).endsWith("… (200 bytes)"));
 * ```
 */
export function previewPayload(data: Uint8Array): string {
  const text = lenientDecoder.decode(data.subarray(0, LOG_PREVIEW_CHARS * 4));
  const chars = Array.from(text);
  const cut = chars.length > LOG_PREVIEW_CHARS ||
    data.length > LOG_PREVIEW_CHARS * 4;
  const shown = chars.slice(0, LOG_PREVIEW_CHARS).join("");
  const escaped = JSON.stringify(shown).slice(1, -1).replace(/'/g, "\\'");
  return cut ? `${escaped}… (${data.length} bytes)` : escaped;
}

function closeQuietly(closer: { close(): void }): void {
  try {
    closer.close();
  } catch {
    // Already closed.
  }
}

/** Options of {@linkcode runUdpUpperClient}. */
export interface UdpUpperClientOptions {
  /** Server host: a name, an IPv4 or an IPv6 literal. */
  hostname: string;
  /** Server port. */
  port: number;
  /** Messages to send; empty means prompt (terminal) or one per stdin line. */
  messages: readonly string[];
  /** Expected replies, paired with `messages`. */
  expects: readonly string[];
  /** First wait for a reply, in ms; doubled on each resend. */
  timeoutMs: number;
  /** Resends after the first try. */
  retries: number;
  /** Log ignored datagrams and resends on stderr. @default {false} */
  verbose?: boolean;
}

/**
 * Runs the UDP uppercase client; resolves to its exit code, throws a
 * {@linkcode SockitError} on failure.
 *
 * @example
 * ```ts ignore
 * import { runUdpUpperClient } from "./udp_upper.ts";
 * import { processIo } from "../cli/client_io.ts";
 * await runUdpUpperClient({ hostname: "127.0.0.1", port: 3000, messages: ["hi"], expects: ["HI"],
 *   timeoutMs: 500, retries: 4 }, processIo());
 * ```
 */
export async function runUdpUpperClient(
  options: UdpUpperClientOptions,
  io: ClientIo,
): Promise<number> {
  const { socket, server: target } = await openUdpClient(
    options.hostname,
    options.port,
  );
  const inbox = new DatagramInbox(socket);
  const exchange = new UdpExchange(socket, inbox, target, options, io);
  try {
    const answer = async (message: string, index: number) => {
      const reply = await exchange.send(new TextEncoder().encode(message));
      await printReply(io.stdout, reply);
      checkExpected(options.expects[index], reply, index);
    };
    if (options.messages.length > 0) {
      for (const [i, message] of options.messages.entries()) {
        await answer(message, i);
      }
    } else if (io.stdinIsTerminal) {
      await runPrompt(io, ">>> ", (line) => answer(line, -1));
    } else {
      const lines = new LineReader(io.stdin, MAX_DATAGRAM_BYTES);
      for (let line; (line = await lines.readLine()) !== null;) {
        await answer(line, -1);
      }
    }
  } finally {
    socket.close();
    await inbox.closed();
  }
  return 0;
}

const decoder = new TextDecoder();

/** How many earlier messages a client remembers to recognise late replies. */
const REMEMBERED_MESSAGES = 64;

/**
 * Whether `reply` could answer `request` under some case mapping: the two
 * are equal once both are uppercased (so `SS` answers `ß`, and an echo
 * answers too).
 *
 * @example
 * ```ts
 * import { couldAnswer } from "./udp_upper.ts";
 * const e = (s: string) => new TextEncoder().encode(s);
 * console.assert(couldAnswer(e("STRASSE"), e("straße")) && !couldAnswer(e("ONE"), e("two")));
 * ```
 */
export function couldAnswer(reply: Uint8Array, request: Uint8Array): boolean {
  return caseKey(reply) === caseKey(request);
}

function caseKey(bytes: Uint8Array): string {
  return decoder.decode(bytes).toUpperCase();
}

/**
 * One request and its reply at a time, with retransmission: wait
 * `timeoutMs`, resend with the wait doubled, `retries` times. A datagram
 * from another address is ignored; so is one that matches an earlier
 * message but not this one (a late duplicate).
 */
class UdpExchange {
  readonly #earlier: string[] = [];

  constructor(
    readonly socket: Deno.DatagramConn,
    readonly inbox: DatagramInbox,
    readonly target: { transport: "udp"; hostname: string; port: number },
    readonly options: UdpUpperClientOptions,
    readonly io: ClientIo,
  ) {}

  async send(request: Uint8Array): Promise<Uint8Array> {
    const where = formatEndpoint(this.target);
    if (request.length > MAX_DATAGRAM_BYTES) {
      throw new SockitError(
        `Message of ${request.length} bytes is over the ${MAX_DATAGRAM_BYTES}-byte UDP limit`,
      );
    }
    const tries = this.options.retries + 1;
    let waitMs = this.options.timeoutMs;
    for (let attempt = 1; attempt <= tries; attempt++, waitMs *= 2) {
      try {
        await this.socket.send(request, this.target);
      } catch (err) {
        throw new SockitError(
          `Cannot send to ${where}: ${describeOsError(err)}`,
        );
      }
      const reply = await this.#awaitReply(request, waitMs);
      if (reply) {
        this.#remember(request);
        return reply;
      }
      if (attempt < tries) {
        await this.#verbose(
          `no reply within ${formatSeconds(waitMs)}; resending (try ${
            attempt + 1
          } of ${tries})`,
        );
      }
    }
    throw new SockitError(
      `No reply from ${where} after ${tries} ${
        tries === 1 ? "try" : "tries"
      }; is the server up? (raise --timeout or --retries)`,
    );
  }

  async #awaitReply(
    request: Uint8Array,
    waitMs: number,
  ): Promise<Uint8Array | null> {
    const deadline = performance.now() + waitMs;
    while (true) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      const datagram = await this.inbox.next(left);
      if (!datagram) return null;
      const { data, from } = datagram;
      if (
        from.hostname !== this.target.hostname || from.port !== this.target.port
      ) {
        await this.#verbose(
          `ignored ${data.length} bytes from unexpected host ${
            formatHostPort(from.hostname, from.port)
          }`,
        );
        continue;
      }
      const key = caseKey(data);
      if (key !== caseKey(request) && this.#earlier.includes(key)) {
        await this.#verbose(
          `ignored a late reply to an earlier message: '${
            previewPayload(data)
          }'`,
        );
        continue;
      }
      return data;
    }
  }

  #remember(request: Uint8Array): void {
    this.#earlier.push(caseKey(request));
    if (this.#earlier.length > REMEMBERED_MESSAGES) this.#earlier.shift();
  }

  async #verbose(line: string): Promise<void> {
    if (this.options.verbose) {
      await writeAll(
        this.io.stderr,
        new TextEncoder().encode(`sockit: ${line}\n`),
      );
    }
  }
}
