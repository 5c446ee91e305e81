/**
 * Opening client connections with a time limit and a one-line error a user
 * can act on: `cannot connect to tcp://127.0.0.1:20000: connection refused`.
 *
 * @module
 */

import { type Endpoint, formatEndpoint } from "./address.ts";
import { describeOsError, SockitError } from "./errors.ts";
import { Deadline } from "./timers.ts";

/**
 * Connects to a TCP or unix endpoint within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { connectTo } from "./connect.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await connectTo({ transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port }, 1000);
 * conn.close();
 * listener.close();
 * ```
 */
export async function connectTo(
  endpoint: Endpoint,
  timeoutMs: number,
): Promise<Deno.Conn> {
  const abort = new AbortController();
  using deadline = new Deadline(timeoutMs, () => abort.abort());
  try {
    if (endpoint.transport === "unix") {
      return await Deno.connect({ transport: "unix", path: endpoint.path });
    }
    return await Deno.connect({
      hostname: endpoint.hostname,
      port: endpoint.port,
      signal: abort.signal,
    });
  } catch (err) {
    const why = deadline.expired
      ? `timed out after ${formatSeconds(timeoutMs)}`
      : describeOsError(err);
    throw new SockitError(
      `Cannot connect to ${formatEndpoint(endpoint)}: ${why}`,
      { cause: err },
    );
  }
}

/**
 * Writes a duration in ms as seconds for messages: `10 s`, `0.5 s`.
 *
 * @example
 * ```ts
 * import { formatSeconds } from "./connect.ts";
 * console.assert(formatSeconds(500) === "0.5 s");
 * ```
 */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
