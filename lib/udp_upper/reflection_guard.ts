/**
 * What keeps a UDP reflection service (one that answers whoever a datagram
 * claims to come from) from being turned against the network it runs on:
 * never answer port 0, the classic UDP service ports, or itself, and cap
 * replies per second per source address. Pure: no socket here; time is
 * passed in.
 *
 * @module
 */

/** Sources the per-source rate cap tracks at once; the oldest is forgotten past this: 65,536. */
export const MAX_RATE_SOURCES = 65536;

/**
 * Source ports never answered: 0, and the classic UDP services echo (7),
 * daytime (13), qotd (17), chargen (19) and time (37). Two reflectors that
 * answer each other loop forever.
 */
export const BLOCKED_SOURCE_PORTS: ReadonlySet<number> = new Set([
  0,
  7,
  13,
  17,
  19,
  37,
]);

/** Addresses that mean "every interface" when bound. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);

/** A datagram's source or the server's own address: UDP, or a unix datagram socket. */
export type Peer = { hostname: string; port: number } | { path: string };

/**
 * Why a datagram from `source` must get no reply, or `null` if it may.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusalReason } from "./reflection_guard.ts";
 * const at = (port: number) => ({ hostname: "127.0.0.1", port });
 * assert.ok(refusalReason(at(19), at(3000)) === "blocked-port");
 * assert.ok(refusalReason(at(3000), at(3000)) === "self");
 * assert.ok(refusalReason(at(40000), at(3000)) === null);
 * ```
 */
export function refusalReason(
  source: Peer,
  self: Peer,
): "blocked-port" | "self" | null {
  if (!("hostname" in source) || !("hostname" in self)) {
    // A unix datagram socket: only the server itself is refused.
    return "path" in source && "path" in self && source.path === self.path
      ? "self"
      : null;
  }
  if (BLOCKED_SOURCE_PORTS.has(source.port)) return "blocked-port";
  if (
    source.port === self.port &&
    (source.hostname === self.hostname || WILDCARD_HOSTS.has(self.hostname))
  ) {
    return "self";
  }
  return null;
}

/** Replies per second per source address by default: 1000. */
export const DEFAULT_RATE_PER_SECOND = 1000;

/** Options of {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  /** Replies per second per source; 0 = no cap. */
  perSecond: number;
  /** Sources tracked at once; the oldest is forgotten past this. @default {65536} */
  maxSources?: number;
}

/**
 * A token bucket per source address: each source may get `perSecond`
 * replies a second, with bursts up to `perSecond`. The table of sources is
 * bounded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateLimiter } from "./reflection_guard.ts";
 * const limiter = new RateLimiter({ perSecond: 2 });
 * assert.ok(limiter.allow("a", 0) && limiter.allow("a", 0) && !limiter.allow("a", 0));
 * assert.ok(limiter.allow("a", 500));
 * ```
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #maxSources: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** Creates a limiter; see {@linkcode RateLimiterOptions}. */
  constructor(options: RateLimiterOptions) {
    this.#perSecond = options.perSecond;
    this.#maxSources = options.maxSources ?? MAX_RATE_SOURCES;
  }

  /** Whether it lets everything through (`--rate 0`): the hot path then skips it. */
  get unlimited(): boolean {
    return this.#perSecond === 0;
  }

  /** Sources tracked now. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Whether `source` may get a reply at time `nowMs`; takes a token if so. */
  allow(source: string, nowMs: number): boolean {
    if (this.#perSecond === 0) return true;
    let bucket = this.#buckets.get(source);
    if (bucket) {
      this.#buckets.delete(source); // Re-inserted below: the map stays in least-recent order.
      bucket.tokens = Math.min(
        this.#perSecond,
        bucket.tokens + ((nowMs - bucket.at) / 1000) * this.#perSecond,
      );
      bucket.at = nowMs;
    } else {
      bucket = { tokens: this.#perSecond, at: nowMs };
      if (this.#buckets.size >= this.#maxSources) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    }
    this.#buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
