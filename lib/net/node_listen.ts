/**
 * Listening with `node:net`, for what Deno's own listeners cannot do: close
 * with a TCP reset (RST), for the relay's `--reset-after`; and serve TLS
 * with a gate in front of the handshake. Every sockit TLS server listens
 * here: a raw TCP connection is checked against `--allow-from` and
 * `--deny-from` first, so a refused peer gets no byte of TLS (not even the
 * certificate), and only then wrapped in `node:tls`, which can also ask for
 * a client certificate (exec's `--tls-client-ca`) and drops a handshake
 * that does not finish within 10 s, freeing its socket. Plain TCP and
 * unix servers use `Deno.listen`, which moves bytes faster.
 *
 * @module
 */

import * as net from "node:net";
import * as nodeTls from "node:tls";
import { type Endpoint, formatEndpoint, formatHostPort } from "./address.ts";
import { SockitError } from "../io/errors.ts";
import type { Logger } from "../io/log.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { removeStaleSocket } from "./listen.ts";
import { NodeConn } from "./node_conn.ts";
import { describeOsError } from "./os_error.ts";
import { socketFailure } from "./socket_errors.ts";
import { SocketFailures } from "./socket_failures.ts";
import { TLS_HANDSHAKE_TIMEOUT_MS } from "./tls.ts";

/** The TLS a {@linkcode NodeListener} serves. */
export interface NodeServerTls {
  /** The server's certificate chain, PEM. */
  cert: string;
  /** The server's private key, PEM. */
  key: string;
  /** When given, only clients with a certificate signed by one of these CAs (PEM) get in. */
  clientCa?: string[] | undefined;
  /** How long a client has to finish the handshake, in ms. @default {TLS_HANDSHAKE_TIMEOUT_MS} */
  handshakeTimeoutMs?: number;
}

/** Options of {@linkcode listenNode}. */
export interface NodeListenOptions {
  /** Serve TLS (TCP only). */
  tls?: NodeServerTls | undefined;
  /**
   * Decides, before any byte is sent, whether a peer may connect; a peer it
   * turns away is closed at once (the gate logs it). Everyone when absent.
   */
  admit?: (peer: Deno.NetAddr) => boolean;
  /** Where failed handshakes are logged. */
  logger?: Logger;
}

/** Accepted connections that may wait for `accept()`: 128, as a listen backlog. */
export const NODE_ACCEPT_QUEUE = 128;

/**
 * A `node:net` (or `node:tls`) server with the `accept()`/`close()` face of
 * a `Deno.Listener`; each connection is a {@linkcode NodeConn}, handed out
 * once the gate let it in and, for TLS, its handshake finished.
 */
export class NodeListener implements Disposable {
  readonly #server: net.Server;
  readonly #queue: NodeConn[] = [];
  readonly #dropped: SocketFailures | undefined;
  /** Raw sockets whose TLS handshake is under way. */
  readonly #handshaking = new Set<net.Socket>();
  /** Raw sockets the gate closed: their failed handshakes are not news. */
  readonly #turnedAway = new WeakSet<net.Socket>();
  #waiting: ((conn: NodeConn | null) => void) | null = null;
  #closed = false;
  /** Where it listens. */
  readonly addr: Deno.Addr;

  /** Takes connections from a listening `server`; see {@linkcode listenNode}. */
  constructor(
    server: net.Server,
    addr: Deno.Addr,
    options: NodeListenOptions = {},
  ) {
    this.#server = server;
    this.addr = addr;
    const { logger, tls } = options;
    this.#dropped = logger && new SocketFailures("handshake", logger);
    // A tls.Server is a net.Server: "connection" brings the raw TCP socket
    // before the handshake starts, so a peer turned away here gets no byte
    // of TLS, not even the certificate.
    server.prependListener("connection", (socket: net.Socket) => {
      socket.setNoDelay(true);
      if (this.#closed || (options.admit && !options.admit(peerAddr(socket)))) {
        this.#turnedAway.add(socket);
        socket.destroy();
      } else if (tls) {
        this.#handshaking.add(socket);
        socket.once("close", () => this.#handshaking.delete(socket));
      }
    });
    if (!tls) {
      server.on("connection", (socket: net.Socket) => {
        if (!socket.destroyed) this.#offer(socket);
      });
      return;
    }
    server.on("secureConnection", (socket: nodeTls.TLSSocket) => {
      this.#handshaking.delete(rawSocket(socket));
      this.#offer(socket);
    });
    server.on("tlsClientError", (err: Error, socket: nodeTls.TLSSocket) => {
      this.#handshakeFailed(err, socket, tls, logger);
    });
  }

  #handshakeFailed(
    err: Error,
    socket: nodeTls.TLSSocket,
    tls: NodeServerTls,
    logger: Logger | undefined,
  ): void {
    const tcp = rawSocket(socket);
    const peer = formatHostPort(tcp.remoteAddress ?? "", tcp.remotePort ?? 0);
    // Deno 2.9.6's node:tls keeps the TCP socket of a handshake that timed
    // out open until the client leaves: close it here, so a client that sends
    // half a ClientHello holds nothing past the handshake's time limit.
    this.#handshaking.delete(tcp);
    socket.destroy();
    tcp.destroy();
    if (this.#turnedAway.has(tcp)) return; // The gate logged it.
    const text = `${(err as { code?: string }).code ?? ""} ${err.message}`;
    if (/socket hang up/i.test(text) && !tls.clientCa) {
      // A probe (sockit wait, a port scan) that connects and leaves.
      logger?.info("close", {
        peer,
        reason: "tls-handshake",
        error: "the client hung up",
      });
      return;
    }
    if (socketFailure(err) === "peer" && /ECONNRESET|reset/i.test(text)) {
      this.#dropped?.dropped(err);
      return;
    }
    logger?.warn("refused", {
      peer,
      reason: tls.clientCa ? "tls-client-cert" : "tls-handshake",
      error: handshakeProblem(err, tls),
    });
  }

  #offer(socket: net.Socket): void {
    const conn = new NodeConn(socket, "client");
    if (this.#closed) return conn.close();
    if (this.#waiting) {
      const take = this.#waiting;
      this.#waiting = null;
      take(conn);
    } else if (this.#queue.length < NODE_ACCEPT_QUEUE) {
      this.#queue.push(conn);
    } else {
      conn.close();
    }
  }

  /** The next connection; throws `BadResource` once closed. */
  async accept(): Promise<NodeConn> {
    const queued = this.#queue.shift();
    if (queued) return queued;
    if (this.#closed) throw new Deno.errors.BadResource("listener closed");
    const conn = await new Promise<NodeConn | null>((resolve) =>
      this.#waiting = resolve
    );
    if (conn === null) throw new Deno.errors.BadResource("listener closed");
    return conn;
  }

  /** Stops listening; connections already accepted stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#queue.splice(0)) conn.close();
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
    this.#dropped?.[Symbol.dispose]();
    this.#waiting?.(null);
    this.#waiting = null;
  }

  /** Same as {@linkcode NodeListener.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** The TCP socket under a TLS socket: Deno's node:tls keeps the peer's address only there. */
function rawSocket(socket: nodeTls.TLSSocket): net.Socket {
  return (socket as { _parent?: net.Socket })._parent ?? socket;
}

function peerAddr(socket: net.Socket): Deno.NetAddr {
  return {
    transport: "tcp",
    hostname: (socket.remoteAddress ?? "").replace(/^::ffff:/, ""),
    port: socket.remotePort ?? 0,
  };
}

/**
 * Listens on `endpoint` (TCP or unix) with `node:net`; with `options.tls`,
 * serves TLS (TCP only) behind the `admit` gate, each handshake within
 * 10 s, and with `tls.clientCa` only to clients with a certificate that CA
 * signed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenNode } from "./node_listen.ts";
 * using listener = await listenNode({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * assert.ok((listener.addr as Deno.NetAddr).port > 0);
 * ```
 */
export async function listenNode(
  endpoint: Endpoint,
  options: NodeListenOptions = {},
): Promise<NodeListener> {
  if (endpoint.transport === "unix") await removeStaleSocket(endpoint.path);
  if (options.tls && endpoint.transport === "unix") {
    throw new TypeError("TLS needs a TCP endpoint"); // The TLS options exclude --unix.
  }
  // Half-open: a client's end of stream must not end our side (the echo
  // still owes it replies).
  const server = options.tls
    ? tlsServer(options.tls)
    : net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => {
      reject(
        new SockitError(
          `Cannot listen on ${formatEndpoint(endpoint)}: ${
            describeOsError(err)
          }`,
          { cause: err },
        ),
      );
    });
    if (endpoint.transport === "unix") server.listen(endpoint.path, resolve);
    else server.listen(endpoint.port, endpoint.hostname, resolve);
  });
  const bound = server.address();
  const addr: Deno.Addr = typeof bound === "object" && bound !== null
    ? { transport: "tcp", hostname: bound.address, port: bound.port }
    : { transport: "unix", path: String(bound) };
  return new NodeListener(server, addr, options);
}

function tlsServer(tls: NodeServerTls): nodeTls.Server {
  return nodeTls.createServer({
    allowHalfOpen: true,
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa
      ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
      : {}),
    handshakeTimeout: tls.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS,
  });
}

/** Why a client's handshake failed, in words an operator can act on. */
function handshakeProblem(err: Error, tls: NodeServerTls): string {
  const text = `${(err as { code?: string }).code ?? ""} ${err.message}`;
  if (
    /PEER_DID_NOT_RETURN_A_CERTIFICATE|CertificateRequired|no certificate/i
      .test(text)
  ) {
    return "the client sent no certificate; it needs --tls-cert and --tls-key";
  }
  if (
    /UNKNOWN_CA|unable to get issuer|UnknownIssuer|certificate verify failed|self.signed/i
      .test(text)
  ) {
    return "the client's certificate is not signed by --tls-client-ca";
  }
  if (/timed? ?out/i.test(text)) {
    return `the handshake did not finish within ${
      formatSeconds(tls.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS)
    }`;
  }
  if (/socket hang up|ECONNRESET/i.test(text)) {
    return "the handshake broke off: a certificate not signed by --tls-client-ca, or a client that hung up";
  }
  return err.message;
}

/**
 * Connects to `endpoint` (TCP or unix) with `node:net` within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { connectNode, listenNode } from "./node_listen.ts";
 * using listener = await listenNode({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * using conn = await connectNode({ transport: "tcp", hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }, 1000);
 * using accepted = await listener.accept();
 * ```
 */
export function connectNode(
  endpoint: Endpoint,
  timeoutMs: number,
): Promise<NodeConn> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.transport === "unix"
      ? net.connect(endpoint.path)
      : net.connect(endpoint.port, endpoint.hostname);
    const deadline = new Deadline(timeoutMs, () => fail(null));
    const fail = (err: unknown) => {
      deadline[Symbol.dispose]();
      socket.destroy();
      const why = err === null
        ? `timed out after ${formatSeconds(timeoutMs)}`
        : describeOsError(err);
      reject(
        new SockitError(
          `Cannot connect to ${formatEndpoint(endpoint)}: ${why}`,
          { cause: err },
        ),
      );
    };
    socket.once("error", fail);
    socket.once("connect", () => {
      deadline[Symbol.dispose]();
      socket.off("error", fail);
      socket.setNoDelay(true);
      resolve(new NodeConn(socket, "target"));
    });
  });
}
