/**
 * `sockit listen`: a sink that shows what clients send, as `nc -l` does.
 * Each TCP (or unix) connection's bytes go to stdout as they arrive, or to
 * a file of their own under `--output DIR`; each datagram likewise. A
 * `--reply` answers each connection (after its first bytes) or datagram,
 * so the sink can stand in for a server a client under test expects.
 * Bounded: `maxBytes` per connection (past it the connection is closed),
 * and stdout's pace sets the reading pace.
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import type { Logger } from "../io/log.ts";
import { ReadBuffer } from "../io/read_buffer.ts";
import { type ByteWriter, closeQuietly, writeAll } from "../io/streams.ts";
import {
  type Acceptor,
  type ConnectionContext,
  DEFAULT_MAX_CONNS,
  serveConnections,
  type ServedConn,
} from "../server/accept_loop.ts";
import { formatAddr } from "../net/address.ts";
import type { PeerRule } from "../net/cidr.ts";
import { serveDatagrams } from "../server/datagram_loop.ts";

/** Bytes kept from one connection by default: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Where what arrives goes: stdout, or one file per connection or sender. */
export interface SinkTarget {
  /** Opens the writer for one connection or sender; `close` when it ends. */
  open(peer: string, index: number): Promise<ByteWriter & { close(): void }>;
}

/** Options of {@linkcode listenStream} and {@linkcode listenDatagrams}. */
export interface SinkOptions {
  /** Aborting stops the sink. */
  signal: AbortSignal;
  /** Where connection events go. */
  logger: Logger;
  /** Where the bytes go. */
  target: SinkTarget;
  /** Sent to each connection after its first bytes, or to each datagram's sender. */
  reply?: Uint8Array;
  /** Stop after the first connection closes (or the first datagram). @default {false} */
  once?: boolean;
  /** Bytes kept per connection (per sender for UDP); past it the connection closes. @default {DEFAULT_MAX_BYTES} */
  maxBytes?: number;
  /** Connections open at once (senders, with UDP). @default {1024} */
  maxConns?: number;
  /** A UDP sender with no datagram for this long is forgotten, in ms; 0 = never. @default {0} */
  idleTimeoutMs?: number;
  /** Grace at shutdown, in ms. @default {5000} */
  graceMs?: number;
  /** Aborting ends the grace period at once. */
  force?: AbortSignal;
  /** Who may connect or send (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule;
}

/**
 * Takes connections on `listener` until `options.signal` aborts (or, with
 * `once`, the first connection closes).
 *
 * @example
 * ```ts ignore
 * import { listenStream, stdoutTarget } from "./sink.ts";
 * await listenStream(listener, { signal, logger, target: stdoutTarget(Deno.stdout) });
 * ```
 */
export async function listenStream(
  listener: Acceptor<ServedConn>,
  options: SinkOptions,
): Promise<void> {
  let index = 0;
  if (!options.once) {
    await serveConnections(
      listener,
      (conn, context) => sinkConnection(conn, context, options, index++),
      { ...options, idleTimeoutMs: 0 },
    );
    return;
  }
  // --once: the first connection only. Accepting stops the moment it
  // arrives; any other already accepted is closed unread; the sink exits
  // when the first ends, however long that takes (a signal still ends it).
  await serveConnections(
    listener,
    async (conn, context) => {
      if (index++ > 0) {
        options.logger.info("refused", { peer: context.peer, reason: "once" });
        return;
      }
      listener.close();
      await sinkConnection(conn, context, options, 0);
    },
    { ...options, idleTimeoutMs: 0, graceMs: Infinity },
  );
}

async function sinkConnection(
  conn: ServedConn,
  context: ConnectionContext,
  options: SinkOptions,
  index: number,
): Promise<void> {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const out = await options.target.open(context.peer, index);
  try {
    const buffer = new ReadBuffer();
    let total = 0;
    let replied = false;
    while (true) {
      const bytes = buffer.bytes;
      const n = await conn.read(bytes);
      if (n === null) return;
      context.received(n);
      const kept = Math.min(n, max - total);
      if (kept > 0) await writeAll(out, bytes.subarray(0, kept));
      buffer.took(n);
      total += n;
      if (total > max) {
        options.logger.warn("max-bytes", {
          peer: context.peer,
          max_bytes: max,
        });
        return;
      }
      if (options.reply && !replied) {
        replied = true;
        await writeAll(conn, options.reply, context.sent);
      }
    }
  } finally {
    out.close();
  }
}

/**
 * Takes datagrams on `socket` until `options.signal` aborts (or, with
 * `once`, after the first).
 *
 * @example
 * ```ts ignore
 * import { listenDatagrams, stdoutTarget } from "./sink.ts";
 * await listenDatagrams(socket, { signal, logger, target: stdoutTarget(Deno.stdout) });
 * ```
 */
export async function listenDatagrams(
  socket: Deno.DatagramConn,
  options: SinkOptions,
): Promise<void> {
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxSenders = options.maxConns ?? DEFAULT_MAX_CONNS;
  const idleMs = options.idleTimeoutMs || Infinity;
  const senders = new Map<string, Sender>();
  const forgetIdle = () => {
    const now = performance.now();
    for (const [peer, sender] of senders) {
      if (now - sender.lastSeen >= idleMs) {
        forget(senders, peer, "idle-timeout", options.logger);
      }
    }
  };
  const sweep = Number.isFinite(idleMs)
    ? setInterval(forgetIdle, Math.min(idleMs, 10_000))
    : undefined;
  let opened = 0;
  // With --once, the first datagram is the last.
  const done = new AbortController();
  const signal = AbortSignal.any([options.signal, done.signal]);
  const take = async (data: Uint8Array, from: Deno.Addr): Promise<void> => {
    const peer = formatAddr(from);
    options.logger.info("datagram", { peer, bytes: data.length });
    let sender = senders.get(peer);
    if (!sender) {
      if (senders.size >= maxSenders) forgetIdle();
      if (senders.size >= maxSenders) {
        options.logger.warn("refused", { peer, reason: "max-conns" });
        return;
      }
      sender = {
        out: await options.target.open(peer, opened++),
        total: 0,
        lastSeen: 0,
      };
      senders.set(peer, sender);
    }
    sender.lastSeen = performance.now();
    const kept = Math.min(data.length, max - sender.total);
    sender.total += data.length;
    if (kept > 0) await writeAll(sender.out, data.subarray(0, kept));
    if (options.reply) {
      await socket.send(options.reply, from).catch((err) =>
        options.logger.warn("send-failed", { peer, error: errorMessage(err) })
      );
    }
    if (options.once) done.abort();
  };
  try {
    await serveDatagrams(socket, { ...options, signal }, take);
  } finally {
    clearInterval(sweep);
    closeQuietly(socket);
    for (const { out } of senders.values()) out.close();
  }
}

/** One sender a datagram sink writes for. */
interface Sender {
  out: ByteWriter & { close(): void };
  total: number;
  lastSeen: number;
}

function forget(
  senders: Map<string, Sender>,
  peer: string,
  reason: string,
  logger: Logger,
): void {
  const sender = senders.get(peer);
  if (!sender) return;
  senders.delete(peer);
  sender.out.close();
  logger.info("close", { peer, bytes: sender.total, reason });
}

/**
 * Every connection's bytes to one writer (stdout), as they arrive.
 *
 * @example
 * ```ts
 * import { stdoutTarget } from "./sink.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const out = await stdoutTarget(new MemoryWriter()).open("127.0.0.1:1", 0);
 * out.close();
 * ```
 */
export function stdoutTarget(stdout: ByteWriter): SinkTarget {
  return {
    open: () =>
      Promise.resolve({ write: (p) => stdout.write(p), close: () => {} }),
  };
}

/**
 * One file per connection (or sender) under `dir`, named by its number and
 * peer: `0001-127.0.0.1_40222.bin`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryTarget } from "./sink.ts";
 * const dir = await Deno.makeTempDir();
 * const out = await directoryTarget(dir).open("127.0.0.1:40222", 0);
 * out.close();
 * assert.ok((await Deno.stat(`${dir}/0001-127.0.0.1_40222.bin`)).isFile);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function directoryTarget(dir: string): SinkTarget {
  return {
    async open(peer, index) {
      const name = `${String(index + 1).padStart(4, "0")}-${
        peer.replace(/[^\w.-]+/g, "_")
      }.bin`;
      const file = await Deno.open(`${dir}/${name}`, {
        write: true,
        createNew: true,
      });
      return { write: (p) => file.write(p), close: () => closeQuietly(file) };
    },
  };
}
