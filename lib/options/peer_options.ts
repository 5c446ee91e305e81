/**
 * Who may reach a server: `--allow-from` and `--deny-from`, declared once
 * for every server, and the rule their values make.
 *
 * @module
 */

import { texts } from "../cli/option.ts";
import { parseCidr, type PeerRule } from "../net/cidr.ts";

function cidrProblem(raw: string): string | null {
  return parseCidr(raw)
    ? null
    : "give an address or a CIDR range, e.g. 127.0.0.0/8 or ::1";
}

/** Who may reach a server: `--allow-from` and `--deny-from`, each repeatable. */
export const PEER_OPTIONS = {
  allowFrom: texts({
    help:
      "Take connections and datagrams only from this address or CIDR range; others are closed or dropped at once",
    value: "CIDR",
    check: cidrProblem,
  }),
  denyFrom: texts({
    help: "Refuse connections and datagrams from this address or CIDR range",
    value: "CIDR",
    check: cidrProblem,
  }),
};

/**
 * The rule `--allow-from` and `--deny-from` make.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerRuleFrom } from "./peer_options.ts";
 * assert.ok(peerRuleFrom({ allowFrom: ["127.0.0.0/8"], denyFrom: [] }).allow.length === 1);
 * ```
 */
export function peerRuleFrom(
  values: { allowFrom: string[]; denyFrom: string[] },
): PeerRule {
  return {
    allow: values.allowFrom.map((text) => parseCidr(text)!),
    deny: values.denyFrom.map((text) => parseCidr(text)!),
  };
}
