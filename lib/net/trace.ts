/**
 * `--trace`: each chunk that crosses a socket, as it crosses. A
 * {@linkcode Tracer} numbers connections and writes entries; the wrappers
 * here put it between a socket and the code that uses it, and are applied
 * only when tracing is on, so a server without `--trace` runs exactly the
 * code it ran before. Writes are synchronous: a slow trace output slows the
 * traffic it shows, and nothing is queued.
 *
 * @module
 */

import {
  DEFAULT_TRACE_BYTES,
  formatTraceEntry,
  type TraceDirection,
  type TraceEntry,
  type TraceFormat,
  type TraceReading,
} from "../io/trace_entry.ts";
import { formatAddr } from "./address.ts";

/** Reads one direction of a connection: where its messages start, which bytes are secret. */
export type TraceDecoder = (chunk: Uint8Array) => TraceReading;

/** Options of a {@linkcode Tracer}. */
export interface TracerOptions {
  /** Text for people or JSON for tools. @default {"text"} */
  format?: TraceFormat;
  /** Bytes shown of each chunk; the rest is counted. @default {256} */
  maxBytes?: number;
  /** Where each entry goes, whole; a throw turns tracing off. */
  write: (text: string) => void;
  /** Makes a decoder for each direction of each connection (exec frames). */
  decoder?: () => TraceDecoder;
  /** Called once when the tracer is disposed (closes a trace file). */
  close?: () => void;
}

/** One connection's two directions, as a {@linkcode Tracer} sees them. */
export interface TracedStream {
  /** Bytes read from the peer; an empty chunk means the peer's end of stream. */
  recv(bytes: Uint8Array): void;
  /** Bytes written to the peer; an empty chunk means our end of stream. */
  send(bytes: Uint8Array): void;
}

/**
 * Writes trace entries for connections and datagrams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tracer } from "./trace.ts";
 * let out = "";
 * using tracer = new Tracer({ write: (text) => out += text });
 * tracer.stream("127.0.0.1:5000").recv(new TextEncoder().encode("hi"));
 * assert.ok(out.includes("#1 127.0.0.1:5000 recv 2 bytes"));
 * ```
 */
export class Tracer implements Disposable {
  #options: TracerOptions;
  #started = performance.now();
  #conns = 0;
  #broken = false;

  /** Starts the clock that entries count from. */
  constructor(options: TracerOptions) {
    this.#options = options;
  }

  /** A new connection to or from `peer`. */
  stream(peer: string): TracedStream {
    const conn = ++this.#conns;
    const make = this.#options.decoder;
    const decoders = { recv: make?.(), send: make?.() };
    const entry = (direction: TraceDirection, bytes: Uint8Array) => {
      const decode = decoders[direction];
      const reading = decode && bytes.length > 0 ? decode(bytes) : undefined;
      this.#write({
        conn,
        peer,
        direction,
        kind: bytes.length === 0 ? "eof" : "stream",
        bytes,
        ...(reading ? { notes: reading.notes, hidden: reading.hidden } : {}),
      });
    };
    return {
      recv: (bytes) => entry("recv", bytes),
      send: (bytes) => entry("send", bytes),
    };
  }

  /** One datagram from or to `peer`. */
  datagram(direction: TraceDirection, peer: string, bytes: Uint8Array): void {
    this.#write({ conn: 0, peer, direction, kind: "datagram", bytes });
  }

  #write(entry: Omit<TraceEntry, "seconds">): void {
    if (this.#broken) return;
    const seconds = (performance.now() - this.#started) / 1000;
    try {
      this.#options.write(formatTraceEntry(
        { seconds, ...entry },
        this.#options.format ?? "text",
        this.#options.maxBytes ?? DEFAULT_TRACE_BYTES,
      ));
    } catch {
      this.#broken = true; // The trace output is gone (a closed pipe): traffic goes on.
    }
  }

  /** Closes the trace output. */
  [Symbol.dispose](): void {
    this.#options.close?.();
  }
}

/**
 * Traces every read and write of `conn`, its end of stream each way
 * included, as one connection to or from `peer`. Returns `conn`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceConn, Tracer } from "./trace.ts";
 * let out = "";
 * using tracer = new Tracer({ write: (text) => out += text });
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * using conn = traceConn(await Deno.connect({ hostname: "127.0.0.1", port }), tracer, "server");
 * using peer = await listener.accept();
 * await conn.write(new Uint8Array([1, 2]));
 * assert.ok(out.includes("send 2 bytes"));
 * listener.close();
 * ```
 */
export function traceConn<
  C extends {
    read(p: Uint8Array): Promise<number | null>;
    write(p: Uint8Array): Promise<number>;
    closeWrite(): Promise<void>;
  },
>(conn: C, tracer: Tracer, peer: string): C {
  const traced = tracer.stream(peer);
  const read = conn.read.bind(conn);
  const write = conn.write.bind(conn);
  const closeWrite = conn.closeWrite.bind(conn);
  conn.read = async (p) => {
    const n = await read(p);
    traced.recv(n === null ? EMPTY : p.subarray(0, n));
    return n;
  };
  conn.write = async (p) => {
    const n = await write(p);
    traced.send(p.subarray(0, n));
    return n;
  };
  conn.closeWrite = async () => {
    await closeWrite();
    traced.send(EMPTY);
  };
  return conn;
}

const EMPTY = new Uint8Array(0);

/**
 * Traces each connection `listener` accepts. Returns `listener`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceListener, Tracer } from "./trace.ts";
 * let out = "";
 * using tracer = new Tracer({ write: (text) => out += text });
 * const listener = traceListener(Deno.listen({ hostname: "127.0.0.1", port: 0 }), tracer);
 * using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await client.write(new Uint8Array([7]));
 * using conn = await listener.accept();
 * await conn.read(new Uint8Array(8));
 * assert.ok(out.includes("recv 1 byte"));
 * listener.close();
 * ```
 */
export function traceListener<
  L extends {
    accept(): Promise<
      Parameters<typeof traceConn>[0] & { readonly remoteAddr: Deno.Addr }
    >;
  },
>(
  listener: L,
  tracer: Tracer,
): L {
  const accept = listener.accept.bind(listener);
  listener.accept = async () => {
    const conn = await accept();
    return traceConn(conn, tracer, formatAddr(conn.remoteAddr));
  };
  return listener;
}

/**
 * Traces each datagram `socket` receives and sends, leaving out those from
 * senders `admitted` turns away. Returns `socket`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceDatagrams, Tracer } from "./trace.ts";
 * let out = "";
 * using tracer = new Tracer({ write: (text) => out += text });
 * const socket = traceDatagrams(Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }), tracer);
 * await socket.send(new Uint8Array([1]), socket.addr);
 * await socket.receive();
 * socket.close();
 * assert.ok(out.includes("send datagram 1 byte") && out.includes("recv datagram 1 byte"));
 * ```
 */
export function traceDatagrams<S extends Deno.DatagramConn>(
  socket: S,
  tracer: Tracer,
  admitted?: (from: Deno.Addr) => boolean,
): S {
  const receive = socket.receive.bind(socket);
  const send = socket.send.bind(socket);
  socket.receive = async (p) => {
    const [data, from] = await receive(p);
    // A datagram the peer rule refuses is dropped by the server unseen: its
    // bytes never reach the trace.
    if (!admitted || admitted(from)) {
      tracer.datagram("recv", formatAddr(from), data);
    }
    return [data, from];
  };
  socket.send = async (p, to) => {
    const n = await send(p, to);
    tracer.datagram("send", formatAddr(to), p.subarray(0, n));
    return n;
  };
  return socket;
}
