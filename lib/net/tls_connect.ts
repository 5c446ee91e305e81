/**
 * Opening TLS client connections. Verification (the system's CAs or
 * `--tls-ca`, and the host name) goes through Deno's own TLS, whose errors
 * say exactly what is wrong. Pinning and `--tls-insecure` need the peer's
 * certificate or verification turned off, which only `node:tls` offers in
 * Deno 2.9, so they go through {@linkcode NodeTlsConn}, an adapter that gives
 * a `node:tls` socket the same read/write/closeWrite shape as a `Deno.Conn`.
 *
 * @module
 */

import { closeQuietly } from "../io/streams.ts";
import * as nodeTls from "node:tls";
import { formatHostPort, isIpAddress } from "./address.ts";
import { SockitError } from "../cli/errors.ts";
import { describeOsError } from "./os_error.ts";
import type { StreamConn } from "./stream_conn.ts";
import { type ClientTls, TLS_HANDSHAKE_TIMEOUT_MS } from "./tls.ts";
import { Deadline } from "../io/timers.ts";

/** Where a TLS client connects. */
export interface TlsTarget {
  /** Host name (checked against the certificate) or address. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/**
 * Upgrades a connected TCP socket to TLS with verification on, and finishes
 * the handshake within `timeoutMs`. Closes `tcp` on failure.
 *
 * @example
 * ```ts ignore
 * import { startVerifiedTls } from "./tls_connect.ts";
 * const tcp = await Deno.connect({ hostname: "example.com", port: 443 });
 * const conn = await startVerifiedTls(tcp, { hostname: "example.com", port: 443 }, {}, 5000);
 * conn.close();
 * ```
 */
export async function startVerifiedTls(
  tcp: Deno.TcpConn,
  target: TlsTarget,
  tls: ClientTls,
  timeoutMs: number,
): Promise<Deno.TlsConn> {
  let conn: Deno.TlsConn | undefined;
  using deadline = new Deadline(
    Math.min(timeoutMs, TLS_HANDSHAKE_TIMEOUT_MS),
    () => (conn ?? tcp).close(),
  );
  try {
    tcp.setNoDelay(true); // TLS writes whole records: Nagle only adds delay.
    conn = await Deno.startTls(tcp, {
      hostname: target.hostname,
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
    });
    await conn.handshake();
    return conn;
  } catch (err) {
    closeQuietly(conn ?? tcp);
    throw tlsFailure(target, err, deadline.expired);
  }
}

/**
 * Connects with `node:tls` to pin the server's certificate or to skip
 * verification, within `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { connectNodeTls } from "./tls_connect.ts";
 * const conn = await connectNodeTls({ hostname: "127.0.0.1", port: 8443 }, { insecure: true }, 5000);
 * conn.close();
 * ```
 */
export function connectNodeTls(
  target: TlsTarget,
  tls: ClientTls,
  timeoutMs: number,
): Promise<NodeTlsConn> {
  const verify = !tls.insecure && tls.caCerts !== undefined;
  return new Promise((resolve, reject) => {
    const socket = nodeTls.connect({
      host: target.hostname,
      port: target.port,
      rejectUnauthorized: verify,
      ...(verify ? { ca: tls.caCerts } : {}),
      ...(isIpAddress(target.hostname) ? {} : { servername: target.hostname }),
    });
    const deadline = new Deadline(timeoutMs, () => fail(null, true));
    const fail = (err: unknown, timedOut = false) => {
      deadline[Symbol.dispose]();
      socket.destroy();
      reject(tlsFailure(target, err, timedOut));
    };
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      deadline[Symbol.dispose]();
      socket.off("error", fail);
      const got = socket.getPeerCertificate().fingerprint256;
      if (tls.pin !== undefined && got !== tls.pin) {
        socket.destroy();
        reject(
          new SockitError(
            `TLS to ${
              formatHostPort(target.hostname, target.port)
            } refused: the server's certificate is SHA256 ${got}, not the --tls-pin ${tls.pin}`,
          ),
        );
        return;
      }
      socket.setNoDelay(true);
      resolve(new NodeTlsConn(socket));
    });
  });
}

/** How much a {@linkcode NodeTlsConn} buffers before it pauses the socket: 256 KiB. */
export const NODE_TLS_BUFFER_BYTES = 256 * 1024;

/**
 * What a {@linkcode NodeTlsConn} holds at most once it has half-closed:
 * 16 MiB. Past this the connection fails rather than grow.
 */
export const NODE_TLS_HALF_CLOSED_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * A `node:tls` socket with a `Deno.Conn`-like face: `read` into a buffer
 * (`null` at EOF), `write` that waits when the socket is full, `closeWrite`
 * for a half-close, and `close`. At most {@linkcode NODE_TLS_BUFFER_BYTES}
 * are held before the socket is paused.
 *
 * After `closeWrite()` the socket is never paused: in Deno 2.9.6, a
 * `node:tls` socket paused after `end()` can lose the server's EOF once
 * resumed (the client then waits for ever; about one run in six under load,
 * never with the pause left out). The bound is then
 * {@linkcode NODE_TLS_HALF_CLOSED_BUFFER_BYTES}, past which the connection
 * fails: what an echo server still owes after a half-close is what was in
 * flight, far below it.
 *
 * @example
 * ```ts ignore
 * import { connectNodeTls } from "./tls_connect.ts";
 * using conn = await connectNodeTls({ hostname: "127.0.0.1", port: 8443 }, { insecure: true }, 5000);
 * await conn.write(new TextEncoder().encode("hi"));
 * ```
 */
export class NodeTlsConn implements StreamConn {
  readonly #socket: nodeTls.TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #halfClosed = false;
  #error: Error | null = null;
  #waiters: (() => void)[] = [];

  /** Wraps a connected socket; the adapter owns it from now on. */
  constructor(socket: nodeTls.TLSSocket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (!this.#halfClosed && this.#buffered >= NODE_TLS_BUFFER_BYTES) {
        socket.pause();
      } else if (this.#buffered > NODE_TLS_HALF_CLOSED_BUFFER_BYTES) {
        this.#error ??= new SockitError(
          `The server sent over ${
            NODE_TLS_HALF_CLOSED_BUFFER_BYTES / 1024 / 1024
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

  /** Closes at once; pending reads and writes fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#wake();
  }

  /** Same as {@linkcode NodeTlsConn.close}. */
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
      !this.#halfClosed && this.#buffered < NODE_TLS_BUFFER_BYTES / 2 &&
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

/**
 * One line saying why a TLS connection failed and what to do, from Deno's
 * or Node's error.
 *
 * @example
 * ```ts
 * import { tlsFailure } from "./tls_connect.ts";
 * const err = tlsFailure({ hostname: "localhost", port: 1 }, new Error("invalid peer certificate: UnknownIssuer"), false);
 * console.assert(err.message.includes("--tls-ca"));
 * ```
 */
export function tlsFailure(
  target: TlsTarget,
  err: unknown,
  timedOut: boolean,
): SockitError {
  const where = `TLS to ${formatHostPort(target.hostname, target.port)} failed`;
  const why = timedOut ? "the handshake timed out" : explainTls(err);
  return new SockitError(`${where}: ${why}`, { cause: err });
}

function explainTls(err: unknown): string {
  const code = (err as { code?: string } | null)?.code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  if (
    /UnknownIssuer|UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/.test(
      `${code} ${message}`,
    )
  ) {
    return "the server's certificate is not signed by a CA you trust; pass its CA with --tls-ca FILE or pin it with --tls-pin SHA256";
  }
  const expired = message.match(/certificate expired.*not valid after (\d+)/);
  if (expired || code === "CERT_HAS_EXPIRED") {
    const when = expired
      ? ` on ${new Date(Number(expired[1]) * 1000).toISOString()}`
      : "";
    return `the server's certificate expired${when}; the server needs a new one`;
  }
  if (
    /NotValidForName|not valid for name|ALTNAME/i.test(`${code} ${message}`)
  ) {
    return `the server's certificate is not for this host name (${
      message.replace(/^invalid peer certificate: /, "")
    }); connect by a name the certificate lists`;
  }
  if (/corrupt message|InvalidContentType|wrong version/i.test(message)) {
    return "the server does not speak TLS; drop --tls or point at a TLS server";
  }
  if (/close_notify|UnexpectedEof|socket hang up|ECONNRESET/i.test(message)) {
    return "the server closed the connection during the handshake (is it a TLS server?)";
  }
  if (code === "ECONNREFUSED") return "connection refused";
  return describeOsError(err);
}
