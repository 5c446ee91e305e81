/**
 * The option groups servers and clients share: where to listen or connect
 * (with the rule that `--unix` excludes `--host` and `--port`), logging,
 * grace and connection limits for servers, a client's time limit, and the
 * readers that turn their values into an endpoint and a logger. Each rule is
 * declared here, once, beside its options; TLS has its own file,
 * `tls_options.ts`.
 *
 * @module
 */

import type { PositionalAddress } from "../cli/command.ts";
import { PEER_OPTIONS, peerRuleFrom } from "./peer_options.ts";

export { PEER_OPTIONS, peerRuleFrom };
import { UsageError } from "../cli/errors.ts";
import { choice, count, duration, flag, port, text } from "../cli/option.ts";
import { Logger } from "../io/log.ts";
import { MAX_QUEUED_LOG_BYTES } from "../io/log_queue.ts";
import { formatSize } from "../io/units.ts";
import {
  DEFAULT_GRACE_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS,
} from "./accept_loop.ts";
import { type Endpoint, parseAddress } from "./address.ts";
import { TRACE_OPTIONS } from "./trace_options.ts";

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
 * import { bindOptions } from "./options.ts";
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
 * import { listenOptions } from "./options.ts";
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

/** How a server logs: `--log-format`, `--quiet` (what is quiet is the server's to say) and `--trace`. */
export function logOptions(quietHelp = "Do not log each connection") {
  return {
    logFormat: choice({
      help:
        `Log lines on stderr as text or one JSON object each; a slow stderr gets up to ${
          formatSize(MAX_QUEUED_LOG_BYTES)
        } queued (warnings ${
          formatSize(2 * MAX_QUEUED_LOG_BYTES)
        }), then lines are dropped and counted`,
      value: "FORMAT",
      choices: ["text", "json"] as const,
      default: "text",
    }),
    quiet: flag({ help: quietHelp, short: "q" }),
    ...TRACE_OPTIONS,
  };
}

/** How long a server's in-flight work may finish at shutdown: `--grace`. */
export const GRACE_OPTIONS = {
  grace: duration({
    help:
      "On SIGINT/SIGTERM, time in-flight work gets to finish; a second signal ends it at once",
    value: "SECONDS",
    min: 0,
    max: 3_600_000,
    default: DEFAULT_GRACE_MS,
  }),
};

/**
 * Options every stream server has: where to listen, logging, shutdown grace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverOptions } from "./options.ts";
 * assert.ok("grace" in serverOptions(8083));
 * ```
 */
export function serverOptions(defaultPort: number) {
  return {
    ...listenOptions(defaultPort),
    ...logOptions(),
    ...GRACE_OPTIONS,
    ...PEER_OPTIONS,
  };
}

/**
 * The accept loop's limits: `--max-conns` and `--idle-timeout` (what idle
 * means is the service's to say).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionLimitOptions } from "./options.ts";
 * assert.ok(connectionLimitOptions("Close a quiet connection").maxConns.default === 1024);
 * ```
 */
export function connectionLimitOptions(idleHelp: string) {
  return {
    maxConns: count({
      help: "Connections open at once; one more is closed at once",
      value: "N",
      min: 1,
      max: 100000,
      default: DEFAULT_MAX_CONNS,
    }),
    idleTimeout: duration({
      help: `${idleHelp} this long; 0 = never`,
      value: "SECONDS",
      min: 0,
      max: 86_400_000,
      default: DEFAULT_IDLE_TIMEOUT_MS,
    }),
  };
}

/**
 * The accept loop's options from a stream server's values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptLoopFrom } from "./options.ts";
 * assert.ok(acceptLoopFrom({ maxConns: 1, idleTimeout: 2, grace: 3 }).graceMs === 3);
 * ```
 */
export function acceptLoopFrom(
  values: { maxConns: number; idleTimeout: number; grace: number },
): { maxConns: number; idleTimeoutMs: number; graceMs: number } {
  return {
    maxConns: values.maxConns,
    idleTimeoutMs: values.idleTimeout,
    graceMs: values.grace,
  };
}

/**
 * Where a client connects: `--host` and `--port`, or `--unix PATH`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectOptions } from "./options.ts";
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
 * import { hostPortOptions } from "./options.ts";
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

/**
 * A client's `--timeout`, in ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeoutOption } from "./options.ts";
 * assert.ok(timeoutOption(10_000).timeout.parse("0.5") === 500);
 * ```
 */
export function timeoutOption(
  defaultMs: number,
  help = "Limit on the connect and on each reply",
) {
  return {
    timeout: duration({
      help,
      value: "SECONDS",
      short: "t",
      min: 1,
      max: 3_600_000,
      default: defaultMs,
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
 * import { endpointFrom } from "./options.ts";
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
 * import { hostPortFrom } from "./options.ts";
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
 * A server's logger from `--log-format` and `--quiet`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loggerFrom } from "./options.ts";
 * assert.ok(loggerFrom({ logFormat: "json", quiet: true }, "doc").quiet);
 * ```
 */
export function loggerFrom(
  values: { logFormat: "text" | "json"; quiet: boolean },
  service: string,
): Logger {
  return new Logger({
    service,
    format: values.logFormat,
    quiet: values.quiet,
  });
}

/**
 * A command's positional address: `HOST:PORT`, `[::1]:PORT`, `tcp://` or
 * `udp://` forms, `unix:PATH` where the command has `--unix`, and for a
 * server `:0` for a free port on the IPv4 loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positionalAddress } from "./options.ts";
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
 * import { streamOrDatagramAddress } from "./options.ts";
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
