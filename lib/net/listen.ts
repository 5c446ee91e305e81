/**
 * Binding listeners the way sockit's servers need: always on the host given
 * (Deno defaults to 0.0.0.0 otherwise), and for unix sockets, replacing a
 * stale socket file left by a dead server while refusing to touch a live one
 * or a file that is not a socket.
 *
 * @module
 */

import { type Endpoint, formatEndpoint } from "./address.ts";
import { SockitError } from "../io/errors.ts";
import { describeOsError } from "./os_error.ts";

/**
 * Binds a plain stream listener on `endpoint` (TCP or unix). TLS servers
 * listen through `node:net` instead (`node_listen.ts`), so that a peer is
 * gated before the handshake.
 *
 * @example
 * ```ts
 * import { listenOn } from "./listen.ts";
 * const listener = await listenOn({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * listener.close();
 * ```
 */
export async function listenOn(endpoint: Endpoint): Promise<Deno.Listener> {
  try {
    if (endpoint.transport === "unix") {
      await removeStaleSocket(endpoint.path);
      return Deno.listen({ transport: "unix", path: endpoint.path });
    }
    return Deno.listen({ hostname: endpoint.hostname, port: endpoint.port });
  } catch (err) {
    if (err instanceof SockitError) throw err;
    throw new SockitError(
      `Cannot listen on ${formatEndpoint(endpoint)}: ${describeOsError(err)}`,
      { cause: err },
    );
  }
}

/**
 * Removes `path` if it is a unix socket nobody accepts on. Throws a
 * {@linkcode SockitError} if a server is live there, or if the path is not a
 * socket.
 *
 * @example
 * ```ts
 * import { removeStaleSocket } from "./listen.ts";
 * await removeStaleSocket("/tmp/sockit-does-not-exist.sock");
 * ```
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isSocket) {
    throw new SockitError(
      `Cannot listen on unix:${path}: the path exists and is not a socket; choose another path`,
    );
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch (err) {
    // Refused: nobody listens, the file is stale. Anything else (a live
    // datagram socket answers "protocol wrong type") means someone is there.
    if (err instanceof Deno.errors.ConnectionRefused) {
      await Deno.remove(path);
      return;
    }
  }
  throw new SockitError(
    `Cannot listen on unix:${path}: another server is listening there; stop it or choose another path`,
  );
}

/**
 * Binds a datagram socket: UDP on `endpoint`'s host and port (never the
 * 0.0.0.0 default unless asked), or a unix datagram socket on its path
 * (a stale socket file replaced, a live one an error, as for streams).
 *
 * @example
 * ```ts
 * import { bindDatagram } from "./listen.ts";
 * const socket = await bindDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 * socket.close();
 * ```
 */
export async function bindDatagram(
  endpoint: Endpoint,
): Promise<Deno.DatagramConn> {
  try {
    if (endpoint.transport === "unix") {
      await removeStaleSocket(endpoint.path);
      return Deno.listenDatagram({
        transport: "unixpacket",
        path: endpoint.path,
      });
    }
    return Deno.listenDatagram({
      hostname: endpoint.hostname,
      port: endpoint.port,
      transport: "udp",
    });
  } catch (err) {
    if (err instanceof SockitError) throw err;
    throw new SockitError(
      `Cannot listen on ${formatEndpoint(endpoint)}: ${describeOsError(err)}`,
      { cause: err },
    );
  }
}

/**
 * A TCP listener on a free port of the IPv4 loopback: for servers that run
 * inside this process (the demo, the bench's own checks).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenLoopback } from "./listen.ts";
 * const listener = listenLoopback();
 * assert.ok(listener.addr.hostname === "127.0.0.1" && listener.addr.port > 0);
 * listener.close();
 * ```
 */
export function listenLoopback(): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port: 0 });
}

/**
 * A UDP socket on a free port of the IPv4 loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindLoopbackDatagram } from "./listen.ts";
 * const socket = bindLoopbackDatagram();
 * assert.ok(socket.addr.port > 0);
 * socket.close();
 * ```
 */
export function bindLoopbackDatagram(): Deno.DatagramConn & {
  readonly addr: Deno.NetAddr;
} {
  return Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  }) as Deno.DatagramConn & { readonly addr: Deno.NetAddr };
}
