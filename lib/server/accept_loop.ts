/**
 * The accept loop every sockit TCP server shares: caps the number of open
 * connections, survives accept errors (a connection reset while it waited
 * costs only that connection and is counted, not logged each time; running
 * out of file descriptors pauses accepting with back-off), closes idle
 * connections, logs each connection's peer, bytes and duration, and shuts
 * down gracefully when its signal aborts.
 *
 * @module
 */

import { closeQuietly } from "../io/streams.ts";
import { errorMessage } from "../io/errors.ts";
import { formatAddr } from "../net/address.ts";
import type { PeerRule } from "../net/cidr.ts";
import { turnedAway } from "./peer_gate.ts";
import type { Logger } from "../io/log.ts";
import { IdleWatch, sleep } from "../io/timers.ts";
import { SocketFailures } from "../net/socket_failures.ts";
import type { NodeConn } from "../net/node_conn.ts";
import { noDelay } from "../net/stream_conn.ts";

/** What a connection handler gets besides the connection. */
export interface ConnectionContext {
  /** Count bytes received; also counts as activity for the idle timeout. */
  received(n: number): void;
  /** Count bytes sent; also counts as activity for the idle timeout. */
  sent(n: number): void;
  /** Suspends the idle timeout until disposed: the connection is busy, not idle. */
  hold(): Disposable;
  /** Aborts when the server force-closes connections at the end of the grace period. */
  readonly signal: AbortSignal;
  /** Aborts when the server starts to shut down: finish the request in hand, take no more. */
  readonly stopping: AbortSignal;
  /** The peer, formatted for logs. */
  readonly peer: string;
}

/** What the accept loop needs of a connection: `Deno.Conn` has it. */
export interface AcceptedConn {
  /** The peer. */
  readonly remoteAddr: Deno.Addr;
  /** Closes the connection. */
  close(): void;
}

/** What the accept loop needs of a listener: `Deno.Listener` has it. */
export interface Acceptor<C extends AcceptedConn> {
  /** The next connection; throws `BadResource` once closed. */
  accept(): Promise<C>;
  /** Stops listening. */
  close(): void;
}

/** A connection a stream server serves: Deno's, or a `node:net`/`node:tls` one (TLS, resets). */
export type ServedConn = Deno.Conn | NodeConn;

/** A bound stream listener handing out {@linkcode ServedConn}s. */
export type StreamListener = Acceptor<ServedConn> & {
  readonly addr: Deno.Addr;
};

/** Handles one connection; the server closes the connection when it returns. */
export type ConnectionHandler<C extends AcceptedConn = Deno.Conn> = (
  conn: C,
  context: ConnectionContext,
) => Promise<void>;

/** Options of {@linkcode serveConnections}. */
export interface ServeOptions {
  /** Aborting stops accepting and starts the grace period. */
  signal: AbortSignal;
  /** Where connection events go. */
  logger: Logger;
  /** Connections open at once; one more is closed at once. @default {1024} */
  maxConns?: number;
  /** Close a connection with no traffic for this long, in ms; 0 = never. @default {300000} */
  idleTimeoutMs?: number;
  /** After `signal` aborts, how long open connections may finish, in ms. @default {5000} */
  graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** Who may connect (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule;
}

/** Connections a server keeps open at once by default: 1024. */
export const DEFAULT_MAX_CONNS = 1024;
/** How long a connection may stay idle by default, in ms: 300 s. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** How long in-flight work may finish at shutdown by default, in ms: 5 s. */
export const DEFAULT_GRACE_MS = 5000;

interface OpenConnection<C extends AcceptedConn> {
  conn: C;
  closed: boolean;
  done: Promise<void>;
}

/**
 * Accepts connections on `listener` until `options.signal` aborts, running
 * `handler` for each. Resolves once every connection is closed. Never throws
 * because of what a client did.
 *
 * @example
 * ```ts
 * import { serveConnections } from "./accept_loop.ts";
 * import { Logger } from "../io/log.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * const served = serveConnections(listener, async () => {}, {
 *   signal: stop.signal,
 *   logger: new Logger({ service: "doc", quiet: true, sink: () => {} }),
 * });
 * stop.abort();
 * await served;
 * ```
 */
export async function serveConnections<
  C extends AcceptedConn = Deno.Conn,
>(
  listener: Acceptor<C>,
  handler: ConnectionHandler<C>,
  options: ServeOptions,
): Promise<void> {
  const { signal, logger } = options;
  const maxConns = options.maxConns ?? DEFAULT_MAX_CONNS;
  const open = new Set<OpenConnection<C>>();
  const forceClose = new AbortController();
  const closeListener = () => closeQuietly(listener);
  signal.addEventListener("abort", closeListener, { once: true });
  if (signal.aborted) closeListener();

  using failures = new SocketFailures("accept", logger);
  while (!signal.aborted) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (err) {
      if (signal.aborted || err instanceof Deno.errors.BadResource) break;
      await failures.handle(err, signal); // One reset connection: on at once.
      continue;
    }
    failures.succeeded();
    if (turnedAway(conn.remoteAddr, options.peers, logger)) {
      closeQuietly(conn);
      continue;
    }
    if (open.size >= maxConns) {
      logger.warn("refused", {
        peer: formatAddr(conn.remoteAddr),
        reason: "max-conns",
        max_conns: maxConns,
      });
      closeQuietly(conn);
      continue;
    }
    noDelay(conn);
    const entry: OpenConnection<C> = {
      conn,
      closed: false,
      done: Promise.resolve(),
    };
    entry.done = runConnection(entry, handler, options, forceClose.signal)
      .finally(() => open.delete(entry));
    open.add(entry);
  }
  signal.removeEventListener("abort", closeListener);
  closeQuietly(listener);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  logger.notice("shutdown", {
    reason: String(signal.reason ?? "stopped"),
    open: open.size,
    grace_ms: Number.isFinite(graceMs) ? graceMs : "until-done",
  });
  await drain(open, graceMs, logger, forceClose, options.force);
  logger.notice("stopped");
}

async function drain<C extends AcceptedConn>(
  open: Set<OpenConnection<C>>,
  graceMs: number,
  logger: Logger,
  forceClose: AbortController,
  force: AbortSignal | undefined,
): Promise<void> {
  if (open.size === 0) return;
  const graceOver = new AbortController();
  const allDone = Promise.all([...open].map((e) => e.done));
  const stopWaiting = force
    ? AbortSignal.any([graceOver.signal, force])
    : graceOver.signal;
  await Promise.race([allDone, sleep(graceMs, stopWaiting)]);
  graceOver.abort();
  if (open.size > 0) {
    logger.warn(force?.aborted ? "forced" : "grace-expired", {
      closing: open.size,
    });
    forceClose.abort();
    for (const entry of open) closeEntry(entry);
  }
  await allDone;
}

async function runConnection<C extends AcceptedConn>(
  entry: OpenConnection<C>,
  handler: ConnectionHandler<C>,
  options: ServeOptions,
  forceSignal: AbortSignal,
): Promise<void> {
  const { logger } = options;
  const peer = formatAddr(entry.conn.remoteAddr);
  const started = performance.now();
  let bytesIn = 0;
  let bytesOut = 0;
  using idle = new IdleWatch(
    options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    () => closeEntry(entry),
  );
  const context: ConnectionContext = {
    received: (n) => {
      bytesIn += n;
      idle.touch();
    },
    sent: (n) => {
      bytesOut += n;
      idle.touch();
    },
    hold: () => idle.hold(),
    signal: forceSignal,
    stopping: options.signal,
    peer,
  };
  logger.info("open", { peer });
  let error: string | null = null;
  try {
    await handler(entry.conn, context);
  } catch (err) {
    if (!entry.closed) error = errorMessage(err);
  } finally {
    closeEntry(entry);
  }
  const reason = idle.fired
    ? "idle-timeout"
    : forceSignal.aborted
    ? "shutdown"
    : error
    ? "error"
    : "eof";
  logger.info("close", {
    peer,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    duration_ms: Math.round(performance.now() - started),
    reason,
    ...(error ? { error } : {}),
  });
}

function closeEntry<C extends AcceptedConn>(entry: OpenConnection<C>): void {
  if (entry.closed) return;
  entry.closed = true;
  closeQuietly(entry.conn);
}
