/**
 * Where a command listens or connects: `--host` and `--port`, or `--unix
 * PATH` (which excludes them), the positional address forms, and the
 * readers that turn their values into an endpoint. Each rule is declared
 * here, once, beside its options.
 *
 * @module
 */

import type { PositionalAddress } from "../cli/command.ts";
import { UsageError } from "../io/errors.ts";
import { port, text } from "../cli/option.ts";
import { type Endpoint, parseAddress } from "../net/address.ts";

/** The host servers bind and clients reach unless told otherwise. */
export const DEFAULT_HOST = "127.0.0.1";

const UNIX_EXCLUDES_HOST =
  "Option --unix cannot be combined with --host or --port";

/**
 * Where a UDP server binds: `--host` and `--port`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindOptions } from "./address_options.ts";
 * assert.ok(bindOptions(3000).port.default === 3000);
 * ```
 */
export function bindOptions(defaultPort: number) {
  return {
    host: text({
      help: "Address to bind",
      value: "HOST",
      default: DEFAULT_HOST,
    }),
    port: port({
      help: "Port to listen on; 0 picks a free one",
      value: "PORT",
      short: "p",
      min: 0,
      default: defaultPort,
    }),
  };
}

/**
 * Where a stream server listens: `--host` and `--port`, or `--unix PATH`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenOptions } from "./address_options.ts";
 * assert.ok(listenOptions(20000).port.default === 20000);
 * ```
 */
export function listenOptions(defaultPort: number) {
  return {
    ...bindOptions(defaultPort),
    unix: text({
      help: "Listen on a unix socket instead of host and port",
      value: "PATH",
      conflicts: { host: UNIX_EXCLUDES_HOST, port: UNIX_EXCLUDES_HOST },
    }),
  };
}

/**
 * Where a client connects: `--host` and `--port`, or `--unix PATH`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectOptions } from "./address_options.ts";
 * assert.ok(connectOptions(3000).port.default === 3000);
 * ```
 */
export function connectOptions(defaultPort: number) {
  return {
    ...hostPortOptions(defaultPort),
    unix: text({
      help: "Connect to a unix socket instead",
      value: "PATH",
      conflicts: { host: UNIX_EXCLUDES_HOST, port: UNIX_EXCLUDES_HOST },
    }),
  };
}

/**
 * Where a UDP client sends: `--host` and `--port`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostPortOptions } from "./address_options.ts";
 * assert.ok(hostPortOptions(3000).host.default === "127.0.0.1");
 * ```
 */
export function hostPortOptions(defaultPort: number) {
  return {
    host: text({
      help: "Server host name or address",
      value: "HOST",
      default: DEFAULT_HOST,
    }),
    port: port({
      help: "Server port",
      value: "PORT",
      short: "p",
      min: 1,
      default: defaultPort,
    }),
  };
}

export type EndpointValues = {
  host: string;
  port: number;
  unix?: string | undefined;
};

/**
 * The endpoint from `--host`/`--port` or `--unix`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endpointFrom } from "./address_options.ts";
 * assert.ok(endpointFrom({ host: "::1", port: 1 }, "udp").transport === "udp");
 * assert.ok(endpointFrom({ host: "h", port: 1, unix: "/tmp/s" }, "tcp").transport === "unix");
 * ```
 */
export function endpointFrom(
  values: EndpointValues,
  transport: "tcp" | "udp",
): Endpoint {
  if (values.unix !== undefined) {
    if (values.unix === "") throw new UsageError("Option --unix needs a path");
    return { transport: "unix", path: values.unix };
  }
  return { transport, ...hostPortFrom(values) };
}

/**
 * The host and port from `--host` and `--port`; an empty host is a usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostPortFrom } from "./address_options.ts";
 * assert.ok(hostPortFrom({ host: "::1", port: 3000 }).hostname === "::1");
 * ```
 */
export function hostPortFrom(
  values: { host: string; port: number },
): { hostname: string; port: number } {
  if (values.host === "") {
    throw new UsageError("Option --host needs a host name or address");
  }
  return { hostname: values.host, port: values.port };
}

/**
 * A command's positional address: `HOST:PORT`, `[::1]:PORT`, `tcp://` or
 * `udp://` forms, `unix:PATH` where the command has `--unix`, and for a
 * server `:0` for a free port on the IPv4 loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positionalAddress } from "./address_options.ts";
 * const address = positionalAddress("tcp", { server: true, unix: true });
 * assert.ok(address.parse(":0").port === 0);
 * assert.ok(address.parse("unix:/tmp/s").unix === "/tmp/s");
 * ```
 */
export function positionalAddress(
  transport: "tcp" | "udp",
  role: { server: boolean; unix: boolean; onlyBeforeDashes?: boolean },
): PositionalAddress {
  const schemes: Array<"tcp" | "udp" | "unix"> = [transport];
  if (role.unix) schemes.push("unix");
  return {
    replaces: role.unix ? ["host", "port", "unix"] : ["host", "port"],
    ...(role.onlyBeforeDashes ? { onlyBeforeDashes: true } : {}),
    parse(word) {
      const endpoint = parseAddress(word, {
        bare: transport,
        schemes,
        minPort: role.server ? 0 : 1,
      });
      return endpoint.transport === "unix"
        ? { unix: endpoint.path }
        : { host: endpoint.hostname, port: endpoint.port };
    },
  };
}

/**
 * The positional address of a server that takes streams or, with `--udp`,
 * datagrams (`listen`, `relay`): `tcp://` or a bare `HOST:PORT`, `unix:PATH`,
 * or `udp://HOST:PORT`, which also sets `--udp`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { streamOrDatagramAddress } from "./address_options.ts";
 * assert.deepEqual(streamOrDatagramAddress().parse("udp://127.0.0.1:0"), { host: "127.0.0.1", port: 0, udp: true });
 * ```
 */
export function streamOrDatagramAddress(): PositionalAddress {
  return {
    replaces: ["host", "port", "unix"],
    parse(word) {
      const endpoint = parseAddress(word, {
        bare: "tcp",
        schemes: ["tcp", "udp", "unix"],
        minPort: 0,
      });
      if (endpoint.transport === "unix") return { unix: endpoint.path };
      return {
        host: endpoint.hostname,
        port: endpoint.port,
        ...(endpoint.transport === "udp" ? { udp: true } : {}),
      };
    },
  };
}
