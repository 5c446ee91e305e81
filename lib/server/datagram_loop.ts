/**
 * The one receive loop of every datagram server (udp-upper, chat, `listen
 * --udp`, the UDP relay): receives kept in flight into buffers of its own,
 * one gate in front of the service (`--allow-from`/`--deny-from`, then the
 * service's own reasons), refusals counted and summed up once a second
 * rather than logged one by one (a flood of refused datagrams must not
 * become a flood of log lines), and after a failed receive the back-off
 * every server shares (`SocketFailures`), so no sender can stop a server or
 * make it spin.
 *
 * @module
 */

import type { Logger } from "../io/log.ts";
import { closeQuietly } from "../io/streams.ts";
import { formatAddr } from "../net/address.ts";
import { addrRefusal, type PeerRule } from "../net/cidr.ts";
import { SocketFailures } from "../net/socket_failures.ts";

/** How often refused datagrams are summed up in the log, in ms: once a second. */
export const DROP_LOG_MS = 1000;
/** Reason-and-source pairs counted between two summaries: 1,024 (the rest count as `other`). */
export const MAX_DROP_KEYS = 1024;
/** The largest datagram received whole: 64 KiB (a larger one is cut by the socket). */
export const MAX_DATAGRAM_BYTES = 65536;

/** Why a datagram was dropped, and the source it is counted against. */
export interface Refusal {
  /** A short reason, e.g. `rate-limited`. */
  reason: string;
  /** What to count it against: an address, or a host. */
  source: string;
}

/** Options of {@linkcode serveDatagrams}. */
export interface DatagramLoopOptions {
  /** Aborting stops receiving (and closes the socket, unless `keepOpen`). */
  signal: AbortSignal;
  /** Where drop summaries and receive failures go. */
  logger: Logger;
  /** Who may send (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule | undefined;
  /** The service's own reasons to drop a datagram, asked after the peer rule. */
  refuse?: (from: Deno.Addr) => Refusal | null;
  /** Receives kept in flight on a UDP socket (a unix datagram socket takes one). @default {1} */
  receivers?: number;
  /** Leave closing the socket to the caller, which has replies to finish. @default {false} */
  keepOpen?: boolean;
}

/** What the loop saw. */
export interface DatagramCounts {
  /** Datagrams received, refused ones included. */
  received: number;
  /** Datagrams the gate refused. */
  dropped: number;
}

/**
 * Receives datagrams on `socket` and hands each one the gate admits to
 * `handle`, until the socket closes or `options.signal` aborts. `data` is
 * valid until `handle` returns, or until the promise it returns settles (the
 * receive that brought it waits for that); keep a copy to hold it longer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveDatagrams } from "./datagram_loop.ts";
 * import { Logger } from "../io/log.ts";
 * const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * await socket.send(new Uint8Array([7]), socket.addr);
 * const logger = new Logger({ service: "doc", sink: () => {} });
 * const counts = await serveDatagrams(socket, { signal: stop.signal, logger }, (data) => {
 *   assert.equal(data[0], 7);
 *   stop.abort();
 * });
 * assert.equal(counts.received, 1);
 * ```
 */
export async function serveDatagrams(
  socket: Deno.DatagramConn,
  options: DatagramLoopOptions,
  handle: (data: Uint8Array, from: Deno.Addr) => void | Promise<unknown>,
): Promise<DatagramCounts> {
  const { signal, logger, peers, refuse } = options;
  const counts: DatagramCounts = { received: 0, dropped: 0 };
  const drops = new DropCounter();
  const logDrops = () => {
    for (const { reason, source, count } of drops.take()) {
      logger.warn("dropped", { reason, source, count, per: "1s" });
    }
  };
  const dropTimer = setInterval(logDrops, DROP_LOG_MS);
  const close = () => closeQuietly(socket);
  if (!options.keepOpen) {
    signal.addEventListener("abort", close, { once: true });
  }
  if (signal.aborted && !options.keepOpen) close();
  const admitted = (from: Deno.Addr): boolean => {
    counts.received++;
    const rule = addrRefusal(from, peers);
    const refusal = rule === null
      ? refuse?.(from) ?? null
      : { reason: "not-allowed", source: formatAddr(from) };
    if (refusal === null) return true;
    counts.dropped++;
    drops.add(refusal.reason, refusal.source);
    return false;
  };
  const receive = async (): Promise<void> => {
    const buffer = new Uint8Array(MAX_DATAGRAM_BYTES);
    using failures = new SocketFailures("receive", logger);
    while (true) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await socket.receive(buffer);
      } catch (err) {
        // Closed: by the caller, or at the signal (a pending receive on a
        // closing socket is interrupted). Else go on after the back-off.
        if (
          signal.aborted || err instanceof Deno.errors.BadResource ||
          err instanceof Deno.errors.Interrupted
        ) {
          return;
        }
        await failures.handle(err, signal);
        continue;
      }
      failures.succeeded();
      if (!admitted(from)) continue;
      const handling = handle(data, from);
      if (handling) await handling;
      if (signal.aborted && !options.keepOpen) return;
    }
  };
  const overUdp = socket.addr.transport === "udp";
  try {
    await Promise.all(
      Array.from(
        { length: overUdp ? Math.max(1, options.receivers ?? 1) : 1 },
        receive,
      ),
    );
  } finally {
    clearInterval(dropTimer);
    signal.removeEventListener("abort", close);
    if (!options.keepOpen) close();
    logDrops();
  }
  return counts;
}

/**
 * Counts dropped datagrams by reason and source between two summaries, so
 * a flood costs one log line per source per second; past `maxKeys` pairs
 * the rest are counted as one `other`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DropCounter } from "./datagram_loop.ts";
 * const drops = new DropCounter(1);
 * drops.add("rate-limited", "10.0.0.1");
 * drops.add("rate-limited", "10.0.0.2");
 * assert.deepEqual(drops.take().map((d) => d.source), ["10.0.0.1", "other"]);
 * ```
 */
export class DropCounter {
  readonly #counts = new Map<
    string,
    { reason: string; source: string; count: number }
  >();
  readonly #maxKeys: number;
  #overflow = 0;

  /** Tracks at most `maxKeys` reason-source pairs between takes. */
  constructor(maxKeys = MAX_DROP_KEYS) {
    this.#maxKeys = maxKeys;
  }

  /** Counts one dropped datagram. */
  add(reason: string, source: string): void {
    const key = `${reason} ${source}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count++;
    else if (this.#counts.size < this.#maxKeys) {
      this.#counts.set(key, { reason, source, count: 1 });
    } else this.#overflow++;
  }

  /** Returns the counts so far (`source` "other" for the overflow) and resets them. */
  take(): Array<{ reason: string; source: string; count: number }> {
    const out = [...this.#counts.values()];
    if (this.#overflow > 0) {
      out.push({ reason: "dropped", source: "other", count: this.#overflow });
    }
    this.#counts.clear();
    this.#overflow = 0;
    return out;
  }
}
