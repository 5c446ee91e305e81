/**
 * Who may reach a server: `--allow-from` and `--deny-from`, declared once
 * for every server, and the rule their values make.
 *
 * @module
 */

import { typedList, type ValueType } from "../cli/option.ts";
import { type Cidr, parseCidr, type PeerRule } from "../net/cidr.ts";

/** An address or a CIDR range, IPv4 or IPv6 (`127.0.0.0/8`, `::1`). */
export const CIDR: ValueType<Cidr> = {
  placeholder: "CIDR",
  parse: (raw) => {
    const range = parseCidr(raw);
    if (!range) {
      throw new RangeError(
        "give an address or a CIDR range, e.g. 127.0.0.0/8 or ::1",
      );
    }
    return range;
  },
  show: (range) => range.text,
};

/** Who may reach a server: `--allow-from` and `--deny-from`, each repeatable. */
export const PEER_OPTIONS = {
  allowFrom: typedList(CIDR, {
    help:
      "Take connections and datagrams only from this address or CIDR range; others are closed or dropped at once",
  }),
  denyFrom: typedList(CIDR, {
    help: "Refuse connections and datagrams from this address or CIDR range",
  }),
};

/**
 * The rule `--allow-from` and `--deny-from` make.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIDR, peerRuleFrom } from "./peer_options.ts";
 * assert.ok(peerRuleFrom({ allowFrom: [CIDR.parse("127.0.0.0/8")], denyFrom: [] }).allow.length === 1);
 * ```
 */
export function peerRuleFrom(
  values: { allowFrom: Cidr[]; denyFrom: Cidr[] },
): PeerRule {
  return { allow: values.allowFrom, deny: values.denyFrom };
}
