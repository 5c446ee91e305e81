/**
 * What every `sockit <service> server` command has: its shared options
 * (where to listen, logging, shutdown grace, who may connect), and how it
 * runs, from its option values to a served socket: the logger from `--log-format`/`--quiet`, the endpoint
 * from `--host`/`--port`/`--unix`, TLS and `--trace` when given, then the server's whole
 * life through {@linkcode runServer}. Each service supplies only how it
 * serves.
 *
 * @module
 */

import type { Values } from "../cli/option.ts";
import type { Logger } from "../io/log.ts";
import type { Endpoint } from "../net/address.ts";
import type { StreamListener } from "../server/accept_loop.ts";
import { bindDatagram, listenOn } from "../net/listen.ts";
import { listenNode } from "../net/node_listen.ts";
import { turnedAway } from "../server/peer_gate.ts";
import { addrRefusal, type PeerRule } from "../net/cidr.ts";
import {
  endpointFrom,
  type EndpointValues,
  listenOptions,
} from "./address_options.ts";
import { GRACE_OPTIONS } from "./limit_options.ts";
import { loggerFrom, logOptions } from "./log_options.ts";
import { PEER_OPTIONS, peerRuleFrom } from "./peer_options.ts";
import { runServer } from "../server/server_runner.ts";
import type { ServerTls } from "../net/tls.ts";
import {
  traceDatagrams,
  type TraceDecoder,
  traceListener,
  type Tracer,
} from "../net/trace.ts";
import { tracerFrom } from "./trace_options.ts";

/**
 * Options every stream server has: where to listen, logging, shutdown grace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverOptions } from "./serve_command.ts";
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

/** How a service serves once its socket is bound. */
export type Serve<T> = (
  socket: T,
  context: {
    signal: AbortSignal;
    force: AbortSignal;
    logger: Logger;
    /** Who may connect or send (`--allow-from`, `--deny-from`). */
    peers: PeerRule;
    /** The `--trace` tracer, for connections the service opens itself. */
    tracer?: Tracer | undefined;
  },
) => Promise<void>;

/** A bound stream listener: `Deno.Listener`, or a `node:net` one (TLS, resets). */
type Listening = StreamListener;

/** The option values every server command has. */
type ServerValues =
  & EndpointValues
  & Values<ReturnType<typeof logOptions>>
  & Values<typeof PEER_OPTIONS>;

/** What {@linkcode runStreamServer} takes. */
export interface StreamServerRun {
  /** The service, as the ready line and the log name it. */
  service: string;
  /** The server's option values. */
  values: ServerValues;
  /** Where to listen; read from `values` when absent. */
  endpoint?: Endpoint;
  /** The certificate to serve TLS with; with `clientCa`, only clients that CA signed get in. */
  tls?: (ServerTls & { clientCa?: string[] | undefined }) | undefined;
  /** Listen through `node:net` even without TLS: connections that can close with a reset (the relay's `--reset-after`). */
  resets?: boolean;
  /** A unix socket's file mode, when it must be narrower than the umask gives. */
  unixMode?: number;
  /** Serves connections on the bound listener. */
  serve: Serve<Listening>;
  /** Shows the service's messages in `--trace` (exec's frames). */
  traceDecoder?: () => TraceDecoder;
}

/**
 * Runs a TCP (or unix stream) server command to its graceful exit. A TLS
 * server listens through `node:net` with the peer gate in front of the
 * handshake (`lib/net/node_listen.ts`); a plain one through `Deno.listen`,
 * gated by the accept loop.
 *
 * @example
 * ```ts ignore
 * import { runStreamServer } from "./serve_command.ts";
 * await runStreamServer({ service: "tcp-echo", values, serve: (listener, { signal, logger }) => serveTcpEcho(listener, { signal, logger }) });
 * ```
 */
export async function runStreamServer(run: StreamServerRun): Promise<number> {
  const { tls, unixMode } = run;
  const logger = loggerFrom(run.values, run.service);
  const peers = peerRuleFrom(run.values);
  if (tls) logger.notice("tls", { cert_sha256: tls.sha256 });
  using tracer = tracerFrom(run.values, run.traceDecoder);
  return await runServer({
    service: run.service,
    logger,
    tls: tls !== undefined,
    endpoint: run.endpoint ?? endpointFrom(run.values, "tcp"),
    bind: async (endpoint): Promise<Listening> => {
      const listener: Listening = tls || run.resets
        ? await listenNode(endpoint, {
          tls,
          admit: (peer) => !turnedAway(peer, peers, logger),
          logger,
        })
        : await listenOn(endpoint);
      if (endpoint.transport === "unix" && unixMode !== undefined) {
        await Deno.chmod(endpoint.path, unixMode);
      }
      return tracer ? traceListener(listener, tracer) : listener;
    },
    serve: (listener, signal, force) =>
      run.serve(listener, {
        signal,
        force,
        logger,
        peers,
        tracer,
      }),
  });
}

/**
 * Runs a UDP server command until a signal ends it.
 *
 * @example
 * ```ts ignore
 * import { runDatagramServer } from "./serve_command.ts";
 * await runDatagramServer({ service: "udp-upper", values, serve: (socket, { signal, logger }) => serveUdpUpper(socket, { signal, logger }) });
 * ```
 */
export async function runDatagramServer(run: {
  service: string;
  values: ServerValues;
  serve: Serve<Deno.DatagramConn>;
}): Promise<number> {
  const logger = loggerFrom(run.values, run.service);
  const peers = peerRuleFrom(run.values);
  using tracer = tracerFrom(run.values);
  return await runServer({
    service: run.service,
    logger,
    endpoint: endpointFrom(run.values, "udp"),
    bind: async (endpoint) => {
      const socket = await bindDatagram(endpoint);
      return tracer
        ? traceDatagrams(socket, tracer, (from) => !addrRefusal(from, peers))
        : socket;
    },
    serve: (socket, signal, force) =>
      run.serve(socket, {
        signal,
        force,
        logger,
        peers,
        tracer,
      }),
  });
}
