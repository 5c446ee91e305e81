/**
 * Socket endpoints and how sockit writes them: `tcp://127.0.0.1:20000`,
 * `udp://[::1]:3000`, `unix:/tmp/echo.sock`. Pure: no socket is opened here.
 *
 * @module
 */

import { UsageError } from "../io/errors.ts";

/** Where a server listens or a client connects: a host and port, or a unix socket path. */
export type Endpoint =
  | { transport: "tcp" | "udp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/**
 * Writes `host:port`, bracketing an IPv6 literal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHostPort } from "./address.ts";
 * assert.ok(formatHostPort("::1", 80) === "[::1]:80");
 * assert.ok(formatHostPort("127.0.0.1", 80) === "127.0.0.1:80");
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * Writes an endpoint as a URL-like string: `tcp://HOST:PORT` or `unix:PATH`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEndpoint } from "./address.ts";
 * assert.ok(formatEndpoint({ transport: "tcp", hostname: "::1", port: 7 }) === "tcp://[::1]:7");
 * assert.ok(formatEndpoint({ transport: "unix", path: "/tmp/s" }) === "unix:/tmp/s");
 * ```
 */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.transport === "unix") return `unix:${endpoint.path}`;
  return `${endpoint.transport}://${
    formatHostPort(endpoint.hostname, endpoint.port)
  }`;
}

/**
 * Writes the peer of a connection for logs: `host:port`, or `unix` for an
 * unnamed unix-socket peer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAddr } from "./address.ts";
 * assert.ok(formatAddr({ transport: "tcp", hostname: "127.0.0.1", port: 5 }) === "127.0.0.1:5");
 * ```
 */
export function formatAddr(addr: Deno.Addr): string {
  if ("hostname" in addr) return formatHostPort(addr.hostname, addr.port);
  return "path" in addr && addr.path ? `unix:${addr.path}` : addr.transport;
}

/**
 * Whether two socket addresses are the same: host and port, or unix path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameAddr } from "./address.ts";
 * assert.ok(sameAddr({ transport: "udp", hostname: "::1", port: 1 }, { transport: "udp", hostname: "::1", port: 1 }));
 * assert.ok(!sameAddr({ transport: "unixpacket", path: "/a" }, { transport: "unixpacket", path: "/b" }));
 * ```
 */
export function sameAddr(a: Deno.Addr, b: Deno.Addr): boolean {
  if ("hostname" in a && "hostname" in b) {
    return a.hostname === b.hostname && a.port === b.port;
  }
  return "path" in a && "path" in b && a.path === b.path;
}

/**
 * Turns a bound listener's address into an {@linkcode Endpoint}, keeping the
 * real port the OS chose for port 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endpointOf } from "./address.ts";
 * const e = endpointOf({ transport: "udp", hostname: "127.0.0.1", port: 9 });
 * assert.ok(e.transport === "udp");
 * ```
 */
export function endpointOf(addr: Deno.Addr): Endpoint {
  if ("hostname" in addr) {
    return {
      transport: addr.transport === "udp" ? "udp" : "tcp",
      hostname: addr.hostname,
      port: addr.port,
    };
  }
  if ("path" in addr) return { transport: "unix", path: addr.path };
  throw new TypeError(`Unsupported address transport "${addr.transport}"`);
}

/**
 * Whether a host names this machine's loopback interface only
 * (127.0.0.0/8, ::1, localhost).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackHost } from "./address.ts";
 * assert.ok(isLoopbackHost("127.0.0.1") && isLoopbackHost("::1") && isLoopbackHost("localhost"));
 * assert.ok(!isLoopbackHost("0.0.0.0") && !isLoopbackHost("::"));
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") {
    return true;
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether `host` is an IPv4 or IPv6 address literal rather than a name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIpAddress } from "./address.ts";
 * assert.ok(isIpAddress("127.0.0.1") && isIpAddress("::1") && !isIpAddress("localhost"));
 * ```
 */
export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** Which forms {@linkcode parseAddress} accepts. */
export interface AddressForms {
  /** The transport of a bare `HOST:PORT`. */
  bare: "tcp" | "udp";
  /** Schemes accepted besides the bare form. @default {["tcp", "unix"]} */
  schemes?: ReadonlyArray<"tcp" | "udp" | "unix">;
  /** The smallest port: 0 lets a server ask for a free one. @default {1} */
  minPort?: 0 | 1;
}

/**
 * The one address parser: `tcp://HOST:PORT`, `udp://HOST:PORT`,
 * `unix:PATH`, or `HOST:PORT` as netcat users type it (`[::1]:3000`,
 * `localhost:8083`, `:0` for the IPv4 loopback). Throws a
 * {@linkcode UsageError} naming the forms it takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAddress } from "./address.ts";
 * const a = parseAddress("[::1]:3000", { bare: "tcp" });
 * assert.ok(a.transport === "tcp" && a.hostname === "::1" && a.port === 3000);
 * assert.ok(parseAddress("unix:/tmp/s", { bare: "tcp" }).transport === "unix");
 * ```
 */
export function parseAddress(
  text: string,
  forms: AddressForms,
): Endpoint {
  const schemes = forms.schemes ?? ["tcp", "unix"];
  const minPort = forms.minPort ?? 1;
  const usage = [
    ...schemes.map((s) => s === "unix" ? "unix:PATH" : `${s}://HOST:PORT`),
    "HOST:PORT",
  ]
    .join(", ");
  const bad = (why: string) =>
    new UsageError(`Invalid address "${text}": ${why}`);
  if (text.startsWith("unix:")) {
    if (!schemes.includes("unix")) throw bad(`use ${usage}`);
    const path = text.slice("unix:".length);
    if (path === "") throw bad("unix: needs a path");
    return { transport: "unix", path };
  }
  const scheme = text.match(/^(tcp|udp):\/\//)?.[1] as
    | "tcp"
    | "udp"
    | undefined;
  if (scheme !== undefined && !schemes.includes(scheme)) {
    throw bad(`use ${usage}`);
  }
  const rest = scheme === undefined ? text : text.slice(scheme.length + 3);
  const match = rest.match(/^(\[[^\]]+\]|[^:\/\[\]]*):(\d+)$/);
  const port = Number(match?.[2]);
  if (!match || !(port >= minPort && port <= 65535)) {
    throw bad(`use ${usage} (port ${minPort}-65535)`);
  }
  const hostname = match[1]!.replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { transport: scheme ?? forms.bare, hostname, port };
}
