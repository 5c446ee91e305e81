/**
 * Address ranges in CIDR notation (`127.0.0.0/8`, `::1/128`, a bare
 * address for one host) and the rule `--allow-from`/`--deny-from` make of
 * them: a peer must match an allowed range (when any is given) and no
 * denied one. Pure: parsing and matching, IPv4 and IPv6 (an IPv4-mapped
 * IPv6 peer, `::ffff:127.0.0.1`, matches IPv4 ranges).
 *
 * @module
 */

/** A parsed range: the address bits and how many lead bits must match. */
export interface Cidr {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address, 4 or 16 bytes. */
  bytes: Uint8Array;
  /** The prefix length. */
  prefix: number;
  /** As the user wrote it, for logs and errors. */
  text: string;
}

/**
 * Parses `HOST` or `HOST/PREFIX`; `null` if it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr } from "./cidr.ts";
 * assert.ok(parseCidr("127.0.0.0/8")?.prefix === 8);
 * assert.ok(parseCidr("::1")?.prefix === 128 && parseCidr("10.0.0.0/33") === null);
 * ```
 */
export function parseCidr(text: string): Cidr | null {
  const [host, prefixText, extra] = text.split("/");
  if (host === undefined || extra !== undefined) return null;
  const bytes = parseIp(host);
  if (!bytes) return null;
  const family = bytes.length === 4 ? 4 : 6;
  const bits = bytes.length * 8;
  const prefix = prefixText === undefined
    ? bits
    : /^\d{1,3}$/.test(prefixText)
    ? Number(prefixText)
    : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return null;
  return { family, bytes, prefix, text };
}

/**
 * Whether `address` (an IP literal) lies in `range`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inCidr, parseCidr } from "./cidr.ts";
 * assert.ok(inCidr("127.0.0.2", parseCidr("127.0.0.0/8")!));
 * assert.ok(!inCidr("10.0.0.1", parseCidr("127.0.0.0/8")!));
 * ```
 */
export function inCidr(address: string, range: Cidr): boolean {
  let bytes = parseIp(address);
  if (!bytes) return false;
  if (bytes.length === 16 && range.family === 4 && isV4Mapped(bytes)) {
    bytes = bytes.subarray(12);
  }
  if (bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    const i = Math.floor(bit / 8);
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** Who may reach a server: `--allow-from` ranges (none = anyone) and `--deny-from` ranges. */
export interface PeerRule {
  /** When non-empty, a peer must be in one of these. */
  allow: readonly Cidr[];
  /** A peer in one of these is refused. */
  deny: readonly Cidr[];
}

/**
 * Why `address` may not reach the server, or `null` if it may. A unix
 * socket peer (no address) is never refused: the file's mode guards it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCidr, peerRefusal } from "./cidr.ts";
 * const rule = { allow: [parseCidr("127.0.0.0/8")!], deny: [parseCidr("127.0.0.2")!] };
 * assert.ok(peerRefusal("127.0.0.1", rule) === null);
 * assert.ok(peerRefusal("127.0.0.2", rule) === "denied by --deny-from 127.0.0.2");
 * assert.ok(peerRefusal("::1", rule) === "not in --allow-from");
 * ```
 */
export function peerRefusal(
  address: string | undefined,
  rule: PeerRule,
): string | null {
  if (address === undefined) return null;
  const denied = rule.deny.find((range) => inCidr(address, range));
  if (denied) return `denied by --deny-from ${denied.text}`;
  if (rule.allow.length > 0 && !rule.allow.some((r) => inCidr(address, r))) {
    return "not in --allow-from";
  }
  return null;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff;
}

function parseIp(text: string): Uint8Array | null {
  const host = text.replace(/^\[|\]$/g, "");
  return host.includes(":") ? parseIpv6(host) : parseIpv4(host);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => /^\d{1,3}$/.test(p) ? Number(p) : NaN);
  return bytes.every((b) => b >= 0 && b <= 255) ? new Uint8Array(bytes) : null;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const last = (tail.length > 0 ? tail : head).at(-1);
  const words: number[] = [];
  const push = (list: string[]) => {
    for (const group of list) {
      if (group.includes(".")) {
        const v4 = parseIpv4(group);
        if (!v4 || group !== last) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(group)) {
        words.push(parseInt(group, 16));
      } else return false;
    }
    return true;
  };
  if (!push(head)) return null;
  const headLength = words.length;
  if (!push(tail)) return null;
  const missing = 8 - words.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  words.splice(
    headLength,
    0,
    ...new Array(halves.length === 2 ? missing : 0).fill(0),
  );
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

/**
 * Why a peer at `addr` may not reach the server under `rule`, or `null`
 * (always `null` without a rule, and for a unix socket peer).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addrRefusal, parseCidr } from "./cidr.ts";
 * const rule = { allow: [parseCidr("::1")!], deny: [] };
 * assert.ok(addrRefusal({ transport: "tcp", hostname: "127.0.0.1", port: 1 }, rule) === "not in --allow-from");
 * assert.ok(addrRefusal({ transport: "unix", path: "/s" }, rule) === null);
 * ```
 */
export function addrRefusal(
  addr: Deno.Addr,
  rule: PeerRule | undefined,
): string | null {
  if (!rule || (rule.allow.length === 0 && rule.deny.length === 0)) return null;
  return peerRefusal("hostname" in addr ? addr.hostname : undefined, rule);
}
