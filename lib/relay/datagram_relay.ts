/**
 * The UDP relay: each client address gets its own socket towards the
 * target, so the target's replies find their way back (only the target's:
 * a datagram from anyone else is dropped); datagrams go each
 * way with that direction's faults (loss, duplication, reordering, delay).
 * The client table is bounded (`maxClients`; an idle entry expires after
 * `idleMs` and frees its socket), and so is the time any datagram waits.
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import type { Logger } from "../io/log.ts";
import type { Random } from "../io/random.ts";
import { closeQuietly } from "../io/streams.ts";
import { Deadline } from "../io/timers.ts";
import { formatAddr } from "../net/address.ts";
import type { PeerRule } from "../net/cidr.ts";
import { serveDatagrams } from "../server/datagram_loop.ts";
import { delayMs } from "./faults.ts";
import type { DatagramFaults } from "./fault_options.ts";

/** How long a datagram held back by `--reorder` waits for one to pass it: 100 ms. */
export const REORDER_HOLD_MS = 100;

/** Datagrams one direction of one client may have waiting to be sent: 256. */
export const MAX_QUEUED_DATAGRAMS = 256;

/** Options of {@linkcode relayDatagrams}. */
export interface DatagramRelayOptions {
  /** Aborting stops the relay. */
  signal: AbortSignal;
  /** Where each client's entry and the drops are logged. */
  logger: Logger;
  /** Opens a socket towards the target for one client, and says where the target is. */
  open: () => Promise<{ socket: Deno.DatagramConn; server: Deno.Addr }>;
  /** Faults on datagrams from clients to the target. */
  upstream?: DatagramFaults | undefined;
  /** Faults on datagrams from the target to clients. */
  downstream?: DatagramFaults | undefined;
  /** Draws for the faults (seeded by `--seed`). */
  random: Random;
  /** Clients at once; a new one past it gets nothing relayed. */
  maxClients: number;
  /** An entry with no datagram either way for this long is dropped, in ms. */
  idleMs: number;
  /** Who may send (`--allow-from`, `--deny-from`). */
  peers?: PeerRule;
}

/** One direction's fault state: the datagram held back, the timers pending. */
class Lane {
  readonly #faults: DatagramFaults | undefined;
  readonly #random: Random;
  readonly #send: (data: Uint8Array) => Promise<unknown>;
  readonly #timers = new Set<Deadline>();
  #held: Uint8Array | undefined;
  #sending: Promise<unknown> = Promise.resolve();
  #queued = 0;
  dropped = 0;

  constructor(
    faults: DatagramFaults | undefined,
    random: Random,
    send: (data: Uint8Array) => Promise<unknown>,
  ) {
    this.#faults = faults;
    this.#random = random;
    this.#send = send;
  }

  /** Passes one datagram through the faults. */
  deliver(data: Uint8Array): void {
    const faults = this.#faults;
    if (!faults) return this.#emit(data);
    if (this.#random() < (faults.loss ?? 0)) {
      this.dropped++;
      return;
    }
    if (this.#held === undefined && this.#random() < (faults.reorder ?? 0)) {
      this.#held = data;
      this.#later(REORDER_HOLD_MS, () => this.#releaseHeld());
      return;
    }
    const copies = this.#random() < (faults.duplicate ?? 0) ? 2 : 1;
    const wait = faults.delay ? delayMs(faults.delay, this.#random) : 0;
    const go = () => {
      for (let i = 0; i < copies; i++) this.#emit(data);
      this.#releaseHeld();
    };
    if (wait > 0) this.#later(wait, go);
    else go();
  }

  #releaseHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#emit(held);
  }

  #later(ms: number, run: () => void): void {
    const timer: Deadline = new Deadline(ms, () => {
      this.#timers.delete(timer);
      run();
    });
    this.#timers.add(timer);
  }

  /** Sends in order, one at a time; past {@linkcode MAX_QUEUED_DATAGRAMS} waiting, drops. */
  #emit(data: Uint8Array): void {
    if (this.#queued >= MAX_QUEUED_DATAGRAMS) {
      this.dropped++;
      return;
    }
    this.#queued++;
    this.#sending = this.#sending.then(() => this.#send(data)).catch(() =>
      this.dropped++
    ).finally(() => this.#queued--);
  }

  /** Cancels what waits. */
  close(): void {
    for (const timer of this.#timers) timer[Symbol.dispose]();
    this.#timers.clear();
  }
}

interface ClientEntry {
  peer: string;
  socket: Deno.DatagramConn;
  up: Lane;
  down: Lane;
  lastSeen: number;
  upCount: number;
  downCount: number;
  /** Datagrams from anyone but the target, dropped. */
  foreign: number;
  done: Promise<void>;
}

/**
 * Relays datagrams arriving on `socket` to the target and the target's
 * replies back, until `options.signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { relayDatagrams } from "./datagram_relay.ts";
 * await relayDatagrams(socket, { signal, logger, open, target, random: Math.random, maxClients: 1024, idleMs: 300_000 });
 * ```
 */
export async function relayDatagrams(
  socket: Deno.DatagramConn,
  options: DatagramRelayOptions,
): Promise<void> {
  const clients = new Map<string, ClientEntry>();
  const sweep = setInterval(
    () => expire(clients, options),
    Math.min(options.idleMs, 10_000),
  );
  try {
    await serveDatagrams(socket, options, async (data, from) => {
      const entry = clients.get(formatAddr(from)) ??
        await admit(socket, from, clients, options);
      if (!entry) return;
      entry.lastSeen = performance.now();
      entry.upCount++;
      entry.up.deliver(data.slice()); // Queued: a copy, as the buffer is reused.
    });
  } finally {
    clearInterval(sweep);
    closeQuietly(socket);
    const entries = [...clients.values()];
    for (const entry of entries) forget(entry, clients, options, "shutdown");
    await Promise.all(entries.map((e) => e.done));
  }
}

async function admit(
  socket: Deno.DatagramConn,
  from: Deno.Addr,
  clients: Map<string, ClientEntry>,
  options: DatagramRelayOptions,
): Promise<ClientEntry | undefined> {
  const peer = formatAddr(from);
  if (clients.size >= options.maxClients) expire(clients, options);
  if (clients.size >= options.maxClients) {
    options.logger.warn("refused", {
      peer,
      reason: "max-conns",
      max_conns: options.maxClients,
    });
    return undefined;
  }
  let upstream: Deno.DatagramConn;
  let target: Deno.Addr;
  try {
    ({ socket: upstream, server: target } = await options.open());
  } catch (err) {
    options.logger.warn("open-failed", { peer, error: errorMessage(err) });
    return undefined;
  }
  const entry: ClientEntry = {
    peer,
    socket: upstream,
    up: new Lane(
      options.upstream,
      options.random,
      (data) => upstream.send(data, target),
    ),
    down: new Lane(
      options.downstream,
      options.random,
      (data) => socket.send(data, from),
    ),
    lastSeen: performance.now(),
    upCount: 0,
    downCount: 0,
    foreign: 0,
    done: Promise.resolve(),
  };
  entry.done = carryReplies(entry, target);
  clients.set(peer, entry);
  options.logger.info("open", { peer });
  return entry;
}

/**
 * Relays the target's replies to one client until its socket closes. Only
 * datagrams from the target's own address count as replies: anyone else
 * who finds the client's socket is dropped, and keeps nothing alive.
 */
async function carryReplies(
  entry: ClientEntry,
  target: Deno.Addr,
): Promise<void> {
  const from = formatAddr(target);
  while (true) {
    let data: Uint8Array;
    let sender: Deno.Addr;
    try {
      [data, sender] = await entry.socket.receive();
    } catch {
      return; // Closed: expired or shut down. ICMP errors end nothing else.
    }
    if (formatAddr(sender) !== from) {
      entry.foreign++;
      continue;
    }
    entry.lastSeen = performance.now();
    entry.downCount++;
    entry.down.deliver(data);
  }
}

function expire(
  clients: Map<string, ClientEntry>,
  options: DatagramRelayOptions,
): void {
  const now = performance.now();
  for (const entry of [...clients.values()]) {
    if (now - entry.lastSeen >= options.idleMs) {
      forget(entry, clients, options, "idle-timeout");
    }
  }
}

function forget(
  entry: ClientEntry,
  clients: Map<string, ClientEntry>,
  options: DatagramRelayOptions,
  reason: string,
): void {
  clients.delete(entry.peer);
  entry.up.close();
  entry.down.close();
  closeQuietly(entry.socket);
  options.logger.info("close", {
    peer: entry.peer,
    up_datagrams: entry.upCount,
    down_datagrams: entry.downCount,
    dropped: entry.up.dropped + entry.down.dropped,
    ...(entry.foreign > 0 ? { not_from_target: entry.foreign } : {}),
    reason,
  });
}
