/**
 * A Node socket (`node:net` or `node:tls`) with the read/write/closeWrite
 * shape of a `Deno.Conn`, so code written for one serves the other. sockit
 * uses Node's sockets only where Deno's lack something: pinning and
 * `--tls-insecure` on the client, and a reset (RST) for the relay.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { SockitError } from "../cli/errors.ts";
import type { StreamConn } from "./stream_conn.ts";

function netAddr(
  hostname: string | undefined,
  port: number | undefined,
): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/** How much a {@linkcode NodeConn} buffers before it pauses the socket: 256 KiB. */
export const NODE_BUFFER_BYTES = 256 * 1024;

/**
 * What a {@linkcode NodeConn} holds at most once it has half-closed:
 * 16 MiB. Past this the connection fails rather than grow.
 */
export const NODE_HALF_CLOSED_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * A `node:net` or `node:tls` socket with a `Deno.Conn`-like face: `read` into a buffer
 * (`null` at EOF), `write` that waits when the socket is full, `closeWrite`
 * for a half-close, and `close`. At most {@linkcode NODE_BUFFER_BYTES}
 * are held before the socket is paused.
 *
 * After `closeWrite()` the socket is never paused: in Deno 2.9.6, a
 * `node:tls` socket paused after `end()` can lose the peer's EOF once
 * resumed (the client then waits for ever; about one run in six under load,
 * never with the pause left out). The bound is then
 * {@linkcode NODE_HALF_CLOSED_BUFFER_BYTES}, past which the connection
 * fails: what an echo server still owes after a half-close is what was in
 * flight, far below it.
 *
 * `reset()` closes with a TCP reset (RST), which a `Deno.Conn` cannot send:
 * the relay's `--reset-after` needs it.
 *
 * @example
 * ```ts ignore
 * import { connectNodeTls } from "./tls_connect.ts";
 * using conn = await connectNodeTls({ hostname: "127.0.0.1", port: 8443 }, { insecure: true }, 5000);
 * await conn.write(new TextEncoder().encode("hi"));
 * ```
 */
export class NodeConn implements StreamConn {
  readonly #socket: Socket;
  readonly #peer: string;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #halfClosed = false;
  #error: Error | null = null;
  #waiters: (() => void)[] = [];

  /** Wraps a connected socket, naming its `peer` in errors; the adapter owns it from now on. */
  constructor(socket: Socket, peer: "server" | "client" | "target" = "server") {
    this.#socket = socket;
    this.#peer = peer;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (!this.#halfClosed && this.#buffered >= NODE_BUFFER_BYTES) {
        socket.pause();
      } else if (this.#buffered > NODE_HALF_CLOSED_BUFFER_BYTES) {
        this.#error ??= new SockitError(
          `The ${this.#peer} sent over ${
            NODE_HALF_CLOSED_BUFFER_BYTES / 1024 / 1024
          } MiB after the end of input faster than it could be written out; sockit holds no more`,
        );
        socket.destroy();
      }
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (err: Error) => {
      this.#error ??= err;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("drain", () => this.#wake());
  }

  /** Reads into `p`; `null` once the server has closed its side. */
  async read(p: Uint8Array): Promise<number | null> {
    while (true) {
      this.#checkOpen();
      const chunk = this.#chunks[0];
      if (chunk !== undefined) return this.#take(chunk, p);
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await this.#next();
    }
  }

  /** Writes all of `p`, waiting while the socket's buffer is full. */
  async write(p: Uint8Array): Promise<number> {
    this.#checkOpen();
    if (this.#error) throw this.#error;
    if (!this.#socket.write(p.slice())) {
      while (this.#socket.writableNeedDrain && !this.#error && !this.#closed) {
        if (this.#socket.destroyed) break;
        await this.#next();
      }
      this.#checkOpen();
      if (this.#error) throw this.#error;
    }
    return p.length;
  }

  /** Sends TLS close_notify and a FIN; reading goes on, unpaused. */
  closeWrite(): Promise<void> {
    this.#checkOpen();
    this.#halfClosed = true;
    this.#socket.resume();
    this.#socket.end();
    return Promise.resolve();
  }

  /** The peer's address. */
  get remoteAddr(): Deno.NetAddr {
    return netAddr(this.#socket.remoteAddress, this.#socket.remotePort);
  }

  /** This end's address. */
  get localAddr(): Deno.NetAddr {
    return netAddr(this.#socket.localAddress, this.#socket.localPort);
  }

  /**
   * The subject of the certificate the peer presented (`CN=alice,O=ops`),
   * or `undefined` without one.
   */
  get certificateSubject(): string | undefined {
    const socket = this.#socket as Partial<TLSSocket>;
    const subject = socket.getPeerCertificate?.()?.subject;
    if (!subject || Object.keys(subject).length === 0) return undefined;
    return Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(",");
  }

  /** Closes with a TCP reset: the peer's next read or write fails with "connection reset". */
  reset(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Once what was written has gone out: a reset discards unsent bytes.
    this.#socket.write(new Uint8Array(0), () => this.#socket.resetAndDestroy());
    this.#wake();
  }

  /** Closes at once; pending reads and writes fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#wake();
  }

  /** Same as {@linkcode NodeConn.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #take(chunk: Uint8Array, p: Uint8Array): number {
    const n = Math.min(chunk.length, p.length);
    p.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#buffered -= n;
    if (
      !this.#halfClosed && this.#buffered < NODE_BUFFER_BYTES / 2 &&
      this.#socket.isPaused()
    ) {
      this.#socket.resume();
    }
    return n;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Deno.errors.BadResource("connection closed");
  }

  #next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
