/**
 * The UDP uppercase server: answers each datagram with it uppercased (never
 * longer, rate-capped per source, never to blocked sources), keeping several
 * receives and at most {@linkcode MAX_SENDS_IN_FLIGHT} replies in flight.
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import { type Logger, previewPayload } from "../io/log.ts";
import { closeQuietly } from "../io/streams.ts";
import { Deadline, whenAborted } from "../io/timers.ts";
import { formatAddr } from "../net/address.ts";
import type { PeerRule } from "../net/cidr.ts";
import { DEFAULT_GRACE_MS } from "../server/accept_loop.ts";
import {
  type DatagramCounts,
  type Refusal,
  serveDatagrams,
} from "../server/datagram_loop.ts";
import {
  DEFAULT_RATE_PER_SECOND,
  type Peer,
  RateLimiter,
  refusalReason,
} from "./reflection_guard.ts";
import { upperDatagram } from "./upper.ts";

/** The port udp-upper listens on and its client sends to by default. */
export const UDP_UPPER_PORT = 3000;

/** Options of {@linkcode serveUdpUpper}. */
export interface UdpUpperServerOptions {
  /** Aborting closes the socket and ends the server. */
  signal: AbortSignal;
  /** Where datagram lines and drop counts go. */
  logger: Logger;
  /** Replies per second per source address; 0 = no cap. @default {1000} */
  ratePerSecond?: number;
  /** After `signal` aborts, how long the replies in hand may take to go out, in ms. @default {DEFAULT_GRACE_MS} */
  graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** Who may send (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule;
}

/** Counts a server keeps, for tests and the final log line. */
export interface UdpUpperStats {
  /** Datagrams received. */
  received: number;
  /** Replies sent. */
  replied: number;
  /** Datagrams dropped (refused peer, blocked source or rate cap). */
  dropped: number;
}

/**
 * Serves UDP uppercase on a bound socket until `options.signal` aborts.
 * Nothing a datagram carries ends the loop.
 *
 * @example
 * ```ts
 * import { serveUdpUpper } from "./server.ts";
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
  const self = socket.addr;
  const overUdp = self.transport === "udp";
  const limiter = new RateLimiter({
    perSecond: options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND,
  });
  const unlimited = limiter.unlimited;
  let replied = 0;
  let sendsInFlight = 0;
  let allSent: (() => void) | undefined;
  // At shutdown, new datagrams go unanswered; the replies in hand get the
  // grace period to go out, then the socket closes and the receivers end.
  const close = async () => {
    if (sendsInFlight > 0) {
      const sent = new Promise<void>((resolve) => allSent = resolve);
      using grace = new Deadline(options.graceMs ?? DEFAULT_GRACE_MS);
      using graceOver = whenAborted(
        options.force
          ? AbortSignal.any([grace.signal, options.force])
          : grace.signal,
      );
      await Promise.race([sent, graceOver.promise]);
    }
    closeQuietly(socket);
  };
  signal.addEventListener("abort", close, { once: true });
  if (signal.aborted) close();
  // The reflection guard and the rate cap, after the peer rule: a refused
  // sender's bytes are never logged, only counted.
  const refuse = (from: Deno.Addr): Refusal | null => {
    const reason = refusalReason(from as Peer, self as Peer);
    if (reason) return { reason, source: formatAddr(from) };
    if (unlimited) return null; // --rate 0: no host to name, no clock to read.
    const host = "hostname" in from ? from.hostname : formatAddr(from);
    return limiter.allow(host, performance.now())
      ? null
      : { reason: "rate-limited", source: host };
  };
  // One handler for every reply that went out, made once, not per datagram.
  const sent = () => {
    replied++;
    if (--sendsInFlight === 0) allSent?.();
  };
  const answer = (
    data: Uint8Array,
    from: Deno.Addr,
  ): Promise<unknown> | undefined => {
    if (signal.aborted) return undefined; // Shutting down: no new replies.
    // The hot path formats no address unless a line needs it.
    if (!logger.quiet) logDatagram(logger, formatAddr(from), data);
    // Not awaited by the loop unless too many are in flight: the next
    // receive starts at once. The reply is a copy; the buffer is reused.
    sendsInFlight++;
    const sending = socket.send(upperDatagram(data), from).then(
      sent,
      (err) => {
        if (!signal.aborted) {
          logger.warn("send-failed", {
            peer: formatAddr(from),
            error: errorMessage(err),
          });
        }
        if (--sendsInFlight === 0) allSent?.();
      },
    );
    // A unix datagram socket cannot send while a receive is pending:
    // there, each reply goes out before the next receive.
    return sendsInFlight > MAX_SENDS_IN_FLIGHT || !overUdp
      ? sending
      : undefined;
  };
  let counts: DatagramCounts;
  try {
    counts = await serveDatagrams(socket, {
      signal,
      logger,
      peers: options.peers,
      refuse,
      receivers: UDP_RECEIVERS,
      keepOpen: true,
    }, answer);
  } finally {
    signal.removeEventListener("abort", close);
    closeQuietly(socket);
  }
  const stats: UdpUpperStats = {
    received: counts.received,
    replied,
    dropped: counts.dropped,
  };
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

function logDatagram(logger: Logger, peer: string, data: Uint8Array): void {
  const says = previewPayload(data);
  logger.info(
    "datagram",
    { peer, bytes: data.length, says },
    `client ${peer} says '${says}'`,
  );
}
