/**
 * The gate `--allow-from` and `--deny-from` put in front of every server:
 * a peer the rule turns away is logged once, the same way by the accept
 * loop and by each datagram server, and the caller closes or drops it.
 *
 * @module
 */

import type { Logger } from "../io/log.ts";
import { formatAddr } from "../net/address.ts";
import { addrRefusal, type PeerRule } from "../net/cidr.ts";

/**
 * Whether `rule` turns away the peer at `addr`; when it does, logs
 * `refused peer=... reason=not-allowed rule=...` as a warning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { turnedAway } from "./peer_gate.ts";
 * import { parseCidr } from "../net/cidr.ts";
 * import { Logger } from "../io/log.ts";
 * const logger = new Logger({ service: "doc", sink: () => {} });
 * const rule = { allow: [parseCidr("::1")!], deny: [] };
 * assert.ok(turnedAway({ transport: "tcp", hostname: "127.0.0.1", port: 1 }, rule, logger));
 * ```
 */
export function turnedAway(
  addr: Deno.Addr,
  rule: PeerRule | undefined,
  logger: Logger,
): boolean {
  const refused = addrRefusal(addr, rule);
  if (refused === null) return false;
  logger.warn("refused", {
    peer: formatAddr(addr),
    reason: "not-allowed",
    rule: refused,
  });
  return true;
}
