/**
 * The connection a client speaks over, plain or TLS: what `Deno.Conn` offers
 * and the `node:tls` adapter imitates.
 *
 * @module
 */

import type { ByteReader, ByteWriter } from "../io/streams.ts";

/** What a client needs of a connection, plain or TLS: `Deno.Conn` has it. */
export interface StreamConn extends ByteReader, ByteWriter, Disposable {
  /** Closes both directions at once. */
  close(): void;
  /** Half-closes: the peer reads EOF, and replies can still arrive. */
  closeWrite(): Promise<void>;
}

/**
 * Turns Nagle's algorithm off on a TCP connection (`TCP_NODELAY`), as Go's
 * `net` does for every one: what sockit writes goes out when written, never
 * held back for the peer's acknowledgement of the last write. Unix and
 * `node:net` connections are left as they are (the latter set it
 * themselves); a connection reset meanwhile fails at its first read or
 * write, not here. Returns `conn`.
 *
 * @example
 * ```ts
 * import { noDelay } from "./stream_conn.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = noDelay(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }));
 * conn.close();
 * listener.close();
 * ```
 */
export function noDelay<C extends { readonly remoteAddr: Deno.Addr }>(
  conn: C,
): C {
  if (conn.remoteAddr.transport === "tcp" && "setNoDelay" in conn) {
    try {
      (conn as unknown as Deno.TcpConn).setNoDelay(true);
    } catch {
      // Reset already: the first read or write says so.
    }
  }
  return conn;
}
