/**
 * Host name resolution for UDP clients, which must know the exact address
 * they send to in order to accept replies only from it. Uses the system
 * resolver (so `/etc/hosts` and `localhost` work) and prefers IPv4, which is
 * where sockit's servers listen by default.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { SockitError } from "./errors.ts";

/**
 * Resolves `hostname` to one IP address literal; a literal is returned as
 * it is (without brackets).
 *
 * @example
 * ```ts
 * import { resolveHost } from "./resolve.ts";
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
 * import { localBindFor } from "./resolve.ts";
 * console.assert(localBindFor("::1") === "::1");
 * console.assert(localBindFor("192.0.2.1") === "0.0.0.0");
 * ```
 */
export function localBindFor(target: string): string {
  if (isIP(target) === 6) return target === "::1" ? "::1" : "::";
  return target.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}
