/**
 * Reaching a UDP server as a client: resolve its host to the exact address
 * replies must come from (the system resolver, so `/etc/hosts` and
 * `localhost` work, IPv4 first, where sockit's servers listen by default),
 * and open a socket of the right family to send from.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type Endpoint, formatEndpoint } from "./address.ts";
import { SockitError } from "../cli/errors.ts";
import { describeOsError } from "./os_error.ts";

/** The largest UDP payload over IPv4: 65,507 bytes. */
export const MAX_DATAGRAM_BYTES = 65507;

/**
 * Resolves `hostname` to one IP address literal; a literal is returned as
 * it is (without brackets).
 *
 * @example
 * ```ts
 * import { resolveHost } from "./udp_socket.ts";
 * console.assert((await resolveHost("[::1]")) === "::1");
 * console.assert((await resolveHost("127.0.0.1")) === "127.0.0.1");
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
 * import { localBindFor } from "./udp_socket.ts";
 * console.assert(localBindFor("::1") === "::1");
 * console.assert(localBindFor("192.0.2.1") === "0.0.0.0");
 * ```
 */
export function localBindFor(target: string): string {
  if (isIP(target) === 6) return target === "::1" ? "::1" : "::";
  return target.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}

/**
 * Resolves `hostname` and opens a UDP socket to talk to it from: the
 * socket, and the server's address with the resolved IP.
 *
 * @example
 * ```ts
 * import { openUdpClient } from "./udp_socket.ts";
 * const { socket, server } = await openUdpClient("127.0.0.1", 3000);
 * console.assert(server.hostname === "127.0.0.1");
 * socket.close();
 * ```
 */
export async function openUdpClient(
  hostname: string,
  port: number,
): Promise<
  {
    socket: Deno.DatagramConn;
    server: Extract<Endpoint, { transport: "tcp" | "udp" }> & {
      transport: "udp";
    };
  }
> {
  const address = await resolveHost(hostname);
  const server = { transport: "udp" as const, hostname: address, port };
  try {
    const socket = Deno.listenDatagram({
      hostname: localBindFor(address),
      port: 0,
      transport: "udp",
    });
    return { socket, server };
  } catch (err) {
    throw new SockitError(
      `Cannot open a UDP socket for ${formatEndpoint(server)}: ${
        describeOsError(err)
      }`,
    );
  }
}
