/**
 * Opening client connections with a time limit and a one-line error a user
 * can act on: `cannot connect to tcp://127.0.0.1:20000: connection refused`.
 *
 * @module
 */

import { type Endpoint, formatEndpoint } from "./address.ts";
import { SockitError } from "../io/errors.ts";
import { describeOsError } from "./os_error.ts";
import { noDelay, type StreamConn } from "./stream_conn.ts";
import type { ClientTls } from "./tls.ts";
import { connectNodeTls, startVerifiedTls } from "./tls_connect.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { traceConn, type Tracer } from "./trace.ts";

/** Options of {@linkcode openStream}. */
export interface OpenStreamOptions {
  /** How long the connect may take, in ms (the TLS handshake gets 10 s more). */
  timeoutMs: number;
  /** Connect over TLS, checking the server this way. */
  tls?: ClientTls | undefined;
  /** Trace the connection's reads and writes (`--trace`). */
  tracer?: Tracer | undefined;
}

/**
 * Connects to `endpoint`, over TLS when `tls` is given, within `timeoutMs`
 * (the TLS handshake within 10 s of that too), traced when `tracer` is
 * given. With a pin, `insecure` or a client certificate, the connection goes
 * through `node:tls`; otherwise through Deno's TLS.
 *
 * @example
 * ```ts
 * import { openStream } from "./connect.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await openStream({ transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port }, { timeoutMs: 1000 });
 * conn.close();
 * listener.close();
 * ```
 */
export async function openStream(
  endpoint: Endpoint,
  options: OpenStreamOptions,
): Promise<StreamConn> {
  const conn = await openUntraced(endpoint, options);
  const { tracer } = options;
  return tracer ? traceConn(conn, tracer, formatEndpoint(endpoint)) : conn;
}

async function openUntraced(
  endpoint: Endpoint,
  { timeoutMs, tls }: OpenStreamOptions,
): Promise<StreamConn> {
  if (tls === undefined) return await connectTo(endpoint, timeoutMs);
  if (endpoint.transport === "unix") {
    throw new TypeError("TLS needs a TCP endpoint"); // The TLS options exclude --unix.
  }
  if (tls.pin !== undefined || tls.insecure || tls.clientCert) {
    return await connectNodeTls(endpoint, tls, timeoutMs);
  }
  const tcp = await connectTo(endpoint, timeoutMs) as Deno.TcpConn;
  return await startVerifiedTls(tcp, endpoint, tls, timeoutMs);
}

/**
 * Connects to a TCP or unix endpoint within `timeoutMs`; a TCP connection
 * has Nagle's algorithm off (`TCP_NODELAY`), as every accepted one does.
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
    return noDelay(
      await Deno.connect({
        hostname: endpoint.hostname,
        port: endpoint.port,
        signal: abort.signal,
      }),
    );
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
 * Half-closes `conn` and ignores a failure: the polite end of a client's
 * session (over TLS it sends close_notify, so the server sees a clean end).
 *
 * @example
 * ```ts
 * import { closeWriteQuietly } from "./connect.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await closeWriteQuietly(conn);
 * conn.close();
 * listener.close();
 * ```
 */
export async function closeWriteQuietly(conn: StreamConn): Promise<void> {
  try {
    await conn.closeWrite();
  } catch {
    // The server closed first.
  }
}
