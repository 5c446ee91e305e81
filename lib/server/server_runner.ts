/**
 * What every `sockit <service> server` does around its service: bind, print
 * the ready line with the real address, serve until SIGINT or SIGTERM,
 * remove the unix socket file it made, and write out its queued log lines.
 *
 * @module
 */

import { closeQuietly } from "../io/streams.ts";
import { type Endpoint, endpointOf, formatEndpoint } from "../net/address.ts";
import { type Logger, printReadyLine } from "../io/log.ts";
import { ShutdownSignal } from "./signals.ts";

/** What {@linkcode runServer} needs from a service. */
export interface ServerRun<
  T extends { readonly addr: Deno.Addr; close(): void },
> {
  /** The service name in the ready line, e.g. `tcp-echo`. */
  service: string;
  /** Where to listen. */
  endpoint: Endpoint;
  /** Whether the listener serves TLS: the ready line says `tls://`. @default {false} */
  tls?: boolean;
  /** Binds the socket; throws a `SockitError` when it cannot. */
  bind(endpoint: Endpoint): Promise<T> | T;
  /**
   * Serves until `signal` aborts, then finishes in-flight work, or stops
   * waiting for it once `force` aborts (a second signal).
   */
  serve(socket: T, signal: AbortSignal, force: AbortSignal): Promise<void>;
  /** The service's logger: its queued lines are written before the server exits. */
  logger?: Logger;
}

/**
 * Runs a server from bind to graceful exit and resolves to exit code 0.
 *
 * @example
 * ```ts ignore
 * import { runServer } from "./server_runner.ts";
 * await runServer({
 *   service: "tcp-echo",
 *   endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
 *   bind: (e) => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
 *   serve: async (listener, signal) => {},
 * });
 * ```
 */
export async function runServer<
  T extends { readonly addr: Deno.Addr; close(): void },
>(
  run: ServerRun<T>,
): Promise<number> {
  using shutdown = new ShutdownSignal();
  try {
    await bindAndServe(run, shutdown);
  } finally {
    await run.logger?.flush();
  }
  return 0;
}

async function bindAndServe<
  T extends { readonly addr: Deno.Addr; close(): void },
>(run: ServerRun<T>, shutdown: ShutdownSignal): Promise<void> {
  const socket = await run.bind(run.endpoint);
  try {
    const where = formatEndpoint(endpointOf(socket.addr));
    printReadyLine(
      run.service,
      run.tls ? where.replace(/^tcp:/, "tls:") : where,
    );
    await run.serve(socket, shutdown.signal, shutdown.force);
  } finally {
    closeQuietly(socket);
    if (run.endpoint.transport === "unix") {
      await removeIfPresent(run.endpoint.path);
    }
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Already gone.
  }
}
