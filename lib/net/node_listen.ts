/**
 * Listening and connecting with `node:net`, for the one thing Deno's own
 * sockets cannot do: close with a TCP reset (RST). The relay's
 * `--reset-after` uses these; everything else uses `Deno.listen` and
 * `Deno.connect`, which move bytes two to three times faster.
 *
 * @module
 */

import * as net from "node:net";
import * as nodeTls from "node:tls";
import { type Endpoint, formatEndpoint, formatHostPort } from "./address.ts";
import { SockitError } from "../cli/errors.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { removeStaleSocket } from "./listen.ts";
import { NodeConn } from "./node_conn.ts";
import { describeOsError } from "./os_error.ts";
import { TLS_HANDSHAKE_TIMEOUT_MS } from "./tls.ts";

/** TLS that asks each client for a certificate signed by `clientCa`. */
export interface ClientCertTls {
  /** The server's certificate chain, PEM. */
  cert: string;
  /** The server's private key, PEM. */
  key: string;
  /** The CA certificates a client's certificate must be signed by, PEM. */
  clientCa: string[];
  /** Told of each client turned away during the handshake, and why. */
  onRefused?: (peer: string, why: string) => void;
}

/** Accepted connections that may wait for `accept()`: 128, as a listen backlog. */
export const NODE_ACCEPT_QUEUE = 128;

/**
 * A `node:net` server with the `accept()`/`close()` face of a
 * `Deno.Listener`; each connection is a {@linkcode NodeConn}.
 */
export class NodeListener implements Disposable {
  readonly #server: net.Server;
  readonly #queue: NodeConn[] = [];
  #waiting: ((conn: NodeConn | null) => void) | null = null;
  #closed = false;
  /** Where it listens. */
  readonly addr: Deno.Addr;

  /** Wraps a listening server; `event` names its connections (`secureConnection` for TLS). */
  constructor(server: net.Server, addr: Deno.Addr, event = "connection") {
    this.#server = server;
    this.addr = addr;
    server.on(event, (socket: net.Socket) => {
      socket.setNoDelay(true);
      const conn = new NodeConn(socket, "client");
      if (this.#waiting) {
        const take = this.#waiting;
        this.#waiting = null;
        take(conn);
      } else if (this.#queue.length < NODE_ACCEPT_QUEUE) {
        this.#queue.push(conn);
      } else {
        conn.close();
      }
    });
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
    this.#waiting?.(null);
    this.#waiting = null;
  }

  /** Same as {@linkcode NodeListener.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Listens on `endpoint` (TCP or unix) with `node:net`; with `tls`, serves
 * TLS (TCP only) that lets in only clients with a certificate signed by
 * `tls.clientCa`, each handshake within 10 s.
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
  tls?: ClientCertTls,
): Promise<NodeListener> {
  if (endpoint.transport === "unix") await removeStaleSocket(endpoint.path);
  const server = tls ? clientCertServer(tls) : net.createServer();
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
  return new NodeListener(
    server,
    addr,
    tls ? "secureConnection" : "connection",
  );
}

function clientCertServer(tls: ClientCertTls): nodeTls.Server {
  const server = nodeTls.createServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  });
  server.on("tlsClientError", (err: Error, socket: nodeTls.TLSSocket) => {
    // Deno's node:tls has the address only on the TCP socket underneath.
    const tcp = (socket as { _parent?: net.Socket })._parent ?? socket;
    const peer = tcp.remoteAddress
      ? formatHostPort(tcp.remoteAddress, tcp.remotePort ?? 0)
      : "unknown";
    tls.onRefused?.(peer, clientCertProblem(err));
  });
  return server;
}

/** Why a client's handshake failed, in words an operator can act on. */
function clientCertProblem(err: Error): string {
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
    return "the handshake did not finish within 10 s";
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
