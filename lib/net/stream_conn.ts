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
