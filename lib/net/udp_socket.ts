/**
 * Reaching a UDP server as a client: resolve its host to the exact address
 * replies must come from (the system resolver, so `/etc/hosts` and
 * `localhost` work, IPv4 first, where sockit's servers listen by default),
 * and open a socket of the right family to send from.
 *
 * @module
 */

import { traceDatagrams, type Tracer } from "./trace.ts";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type Endpoint, formatEndpoint } from "./address.ts";
import { SockitError } from "../io/errors.ts";
import { closeQuietly } from "../io/streams.ts";
import { describeOsError } from "./os_error.ts";

/** The largest UDP payload over IPv4: 65,507 bytes. */
export const MAX_DATAGRAM_BYTES = 65507;

/**
 * Resolves `hostname` to one IP address literal; a literal is returned as
 * it is (without brackets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveHost } from "./udp_socket.ts";
 * assert.ok((await resolveHost("[::1]")) === "::1");
 * assert.ok((await resolveHost("127.0.0.1")) === "127.0.0.1");
 * ```
 */
export async function resolveHost(hostname: string): Promise<string> {
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare)) return bare;
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await lookup(bare, { all: true });
  } catch (err) {
    throw new SockitError(`Cannot resolve host "${hostname}": unknown host`, {
      cause: err,
    });
  }
  const best = addresses.find((a) => a.family === 4) ?? addresses[0];
  if (!best) {
    throw new SockitError(`Cannot resolve host "${hostname}": no address`);
  }
  return best.address;
}

/**
 * The address a client socket should bind to reach `target`: loopback for a
 * loopback target, else every interface of the same family; port 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localBindFor } from "./udp_socket.ts";
 * assert.ok(localBindFor("::1") === "::1");
 * assert.ok(localBindFor("192.0.2.1") === "0.0.0.0");
 * ```
 */
export function localBindFor(target: string): string {
  if (isIP(target) === 6) return target === "::1" ? "::1" : "::";
  return target.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}

/** A client's datagram socket and the server it talks to. */
export interface DatagramClient extends AsyncDisposable {
  /** The socket to send from and receive on. */
  socket: Deno.DatagramConn;
  /** The server: where to send, and the only address replies are taken from. */
  server: Deno.Addr;
  /** The server as messages name it, e.g. `udp://127.0.0.1:3000`. */
  where: string;
}

/**
 * Opens a socket to talk to a datagram server: for UDP, the host resolved
 * to the exact address replies must come from and a socket of its family;
 * for a unix datagram server, a socket bound to a fresh path of its own (a
 * unix datagram reply needs one), removed with its directory on disposal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openDatagramClient } from "./udp_socket.ts";
 * await using client = await openDatagramClient({ transport: "udp", hostname: "localhost", port: 3000 });
 * assert.ok(client.where === "udp://127.0.0.1:3000");
 * ```
 */
export async function openDatagramClient(
  endpoint: Endpoint,
  tracer?: Tracer,
): Promise<DatagramClient> {
  const client = await openUntraced(endpoint);
  if (tracer) traceDatagrams(client.socket, tracer);
  return client;
}

async function openUntraced(endpoint: Endpoint): Promise<DatagramClient> {
  if (endpoint.transport === "unix") return await openUnixClient(endpoint.path);
  const hostname = await resolveHost(endpoint.hostname);
  const server = { transport: "udp" as const, hostname, port: endpoint.port };
  const where = formatEndpoint(server);
  const socket = openOrExplain(where, () =>
    Deno.listenDatagram({
      hostname: localBindFor(hostname),
      port: 0,
      transport: "udp",
    }));
  return {
    socket,
    server,
    where,
    [Symbol.asyncDispose]: () => Promise.resolve(closeQuietly(socket)),
  };
}

async function openUnixClient(path: string): Promise<DatagramClient> {
  const where = `unix:${path}`;
  const dir = await Deno.makeTempDir({ prefix: "sockit-client-" });
  let socket: Deno.DatagramConn;
  try {
    socket = openOrExplain(
      where,
      () =>
        Deno.listenDatagram({
          transport: "unixpacket",
          path: `${dir}/client.sock`,
        }),
    );
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  return {
    socket,
    server: { transport: "unixpacket", path },
    where,
    [Symbol.asyncDispose]: async () => {
      closeQuietly(socket);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function openOrExplain(
  where: string,
  open: () => Deno.DatagramConn,
): Deno.DatagramConn {
  try {
    return open();
  } catch (err) {
    throw new SockitError(
      `Cannot open a socket for ${where}: ${describeOsError(err)}`,
      { cause: err },
    );
  }
}
