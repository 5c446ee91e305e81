/**
 * A Node socket (`node:net` or `node:tls`) with the read/write/closeWrite
 * shape of a `Deno.Conn`, so code written for one serves the other. sockit
 * uses Node's sockets only where Deno's lack something, and these are all
 * of them: the TLS clients' pinning, `--tls-insecure` and client
 * certificates (`tls_connect.ts`); every TLS server's connections, which
 * `node_listen.ts` gates before the handshake and which carry the client
 * certificate's subject; and the relay's reset (RST) for `--reset-after`,
 * on both of its ends.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { SockitError } from "../io/errors.ts";
import { Deadline, settlesWithin, sleep } from "../io/timers.ts";
import { kernelUnsentBytes } from "./send_queue.ts";
import type { StreamConn } from "./stream_conn.ts";

function netAddr(
  hostname: string | undefined,
  port: number | undefined,
): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/** How much a {@linkcode NodeConn} buffers before it pauses the socket: 256 KiB. */
export const NODE_BUFFER_BYTES = 256 * 1024;

/** How long a reset waits at most for the kernel to send what was written: 5 s. */
export const RESET_WAIT_MS = 5000;

/** How often a waiting reset looks at the kernel's send queue, in ms: 10. */
const RESET_POLL_MS = 10;

/** How long a closed {@linkcode NodeConn} waits for its peer to take its end of stream: 1 s. */
export const NODE_CLOSE_LINGER_MS = 1000;

/**
 * What a {@linkcode NodeConn} that cannot be paused (a TLS socket, or any
 * socket once it has half-closed) holds at most: 16 MiB. Past this the
 * connection fails rather than grow.
 */
export const NODE_UNPAUSED_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * A `node:net` or `node:tls` socket with a `Deno.Conn`-like face: `read` into a buffer
 * (`null` at EOF), `write` that resolves once the bytes are handed on,
 * `closeWrite` for a half-close, and `close`. A plain socket holds at most
 * {@linkcode NODE_BUFFER_BYTES} before it is paused.
 *
 * A TLS socket is never paused, nor is any socket after `closeWrite()`:
 * in Deno 2.9.6, a paused `node:tls` socket can lose the peer's end of
 * stream once resumed (the peer then waits for ever; measured here, five
 * runs in eight of a 3 MiB echo through a TLS server, never with the pause
 * left out). The bound is then {@linkcode NODE_UNPAUSED_BUFFER_BYTES}, past
 * which the connection fails: a peer that reads what it is sent never
 * comes near it.
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
/** What a TLS peer's certificate says: see {@linkcode NodeConn.peerCertificate}. */
export interface PeerCertificate {
  /** `CN=..., O=...`. */
  subject: string;
  /** Its DNS names and IP addresses. */
  names: string[];
  /** When it expires. */
  validTo: Date;
}

export class NodeConn implements StreamConn {
  readonly #socket: Socket;
  /** Whether the socket may be paused while the buffer is full (not TLS). */
  readonly #pausable: boolean;
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
    // Deno 2.9.6's node:tls loses the peer's end of stream when a paused TLS
    // socket is resumed: a TLS socket is never paused, and bounded instead.
    this.#pausable = !(socket as Partial<TLSSocket>).encrypted;
    this.#peer = peer;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (
        this.#pausable && !this.#halfClosed &&
        this.#buffered >= NODE_BUFFER_BYTES
      ) {
        socket.pause();
      } else if (this.#buffered > NODE_UNPAUSED_BUFFER_BYTES) {
        this.#error ??= new SockitError(
          `The ${this.#peer} sent over ${
            NODE_UNPAUSED_BUFFER_BYTES / 1024 / 1024
          } MiB ahead of what sockit could pass on; sockit holds no more`,
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

  /**
   * Writes all of `p` and resolves once Node has handed it on (to the
   * kernel, or to the TLS layer's socket), as `Deno.Conn.write` does: a
   * `close()` right after loses nothing.
   */
  async write(p: Uint8Array): Promise<number> {
    this.#checkOpen();
    if (this.#error) throw this.#error;
    let done = false;
    let failure: Error | null | undefined;
    this.#socket.write(p.slice(), (err?: Error | null) => {
      done = true;
      failure = err;
      this.#wake();
    });
    while (!done && !this.#error && !this.#closed && !this.#socket.destroyed) {
      await this.#next();
    }
    this.#checkOpen();
    if (failure) throw failure;
    if (this.#error) throw this.#error;
    if (!done) throw new Deno.errors.BrokenPipe("connection closed");
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
  /**
   * The peer's TLS certificate: its subject, the names it is for and when it
   * expires; `undefined` for a plain connection or a peer that sent none.
   */
  get peerCertificate(): PeerCertificate | undefined {
    const socket = this.#socket as Partial<TLSSocket>;
    const cert = socket.getPeerCertificate?.();
    if (!cert || !cert.valid_to) return undefined;
    const subject = Object.entries(cert.subject ?? {})
      .map(([key, value]) => `${key}=${value}`).join(", ");
    const names = (cert.subjectaltname ?? "").split(/,\s*/)
      .map((name) => name.replace(/^(DNS|IP Address):/, ""))
      .filter((name) => name !== "");
    return { subject, names, validTo: new Date(cert.valid_to) };
  }

  get certificateSubject(): string | undefined {
    const socket = this.#socket as Partial<TLSSocket>;
    const subject = socket.getPeerCertificate?.()?.subject;
    if (!subject || Object.keys(subject).length === 0) return undefined;
    return Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(",");
  }

  /**
   * Closes with a TCP reset: the peer's next read or write fails with
   * "connection reset". A reset throws away what the kernel has not yet
   * delivered, so on Linux it waits, up to `maxWaitMs`, until the kernel's
   * send queue is empty (every byte written has reached the peer's kernel).
   * Resolves to the bytes still unsent when the reset went out: `0`, or
   * more after the wait ran out (a peer that does not read), or
   * `undefined` where sockit cannot see the queue.
   */
  async reset(maxWaitMs = RESET_WAIT_MS): Promise<number | undefined> {
    if (this.#closed) return undefined;
    this.#closed = true;
    this.#wake();
    const socket = this.#socket;
    if (socket.destroyed) return undefined;
    using deadline = new Deadline(maxWaitMs); // One bound for both waits.
    const written = new Promise<void>((resolve) =>
      socket.write(new Uint8Array(0), () => resolve())
    );
    await settlesWithin(written, deadline.remainingMs); // Node's own buffer first.
    const ends = {
      localAddress: socket.localAddress ?? "",
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? "",
      remotePort: socket.remotePort ?? 0,
    };
    let unsent = await kernelUnsentBytes(ends);
    while (unsent && !deadline.expired && !socket.destroyed) {
      await sleep(RESET_POLL_MS, deadline.signal);
      unsent = await kernelUnsentBytes(ends);
    }
    socket.resetAndDestroy();
    return unsent;
  }

  /**
   * Closes: pending reads and writes fail, and what was written goes out
   * with an end of stream (TLS close_notify and a FIN), as a `Deno.Conn`'s
   * close does; a peer that does not take it within
   * {@linkcode NODE_CLOSE_LINGER_MS} is cut off.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const socket = this.#socket;
    if (socket.destroyed || this.#error) {
      socket.destroy();
    } else {
      const linger = setTimeout(() => socket.destroy(), NODE_CLOSE_LINGER_MS);
      socket.once("close", () => clearTimeout(linger));
      socket.end(() => socket.destroy());
    }
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
