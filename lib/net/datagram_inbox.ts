/**
 * Receiving datagrams with a time limit, and from one sender only. `DatagramConn.receive()` cannot be
 * cancelled, so the inbox keeps at most one receive outstanding and lets a
 * timed-out wait pick it up again next time, rather than starting a second.
 *
 * @module
 */

import { Deadline, whenAborted } from "../io/timers.ts";
import { sameAddr } from "./address.ts";

/** A received datagram and where it came from. */
export interface Datagram {
  /** The payload. */
  data: Uint8Array;
  /** The sender. */
  from: Deno.Addr;
}

/**
 * Waits for datagrams on a socket, each wait bounded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatagramInbox } from "./datagram_inbox.ts";
 * const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * const inbox = new DatagramInbox(socket);
 * assert.ok((await inbox.next(10)) === null);
 * socket.close();
 * await inbox.closed();
 * ```
 */
export class DatagramInbox {
  readonly #socket: Deno.DatagramConn;
  #pending: Promise<Datagram | Error> | undefined;

  /** Reads from `socket`; closing the socket ends the inbox. */
  constructor(socket: Deno.DatagramConn) {
    this.#socket = socket;
  }

  /**
   * The next datagram, or `null` if none came within `timeoutMs` (`Infinity`
   * waits for ever). Throws once the socket is closed.
   */
  async next(timeoutMs: number): Promise<Datagram | null> {
    this.#pending ??= this.#socket.receive().then(
      ([data, from]) => ({ data, from }),
      (err: Error) => err,
    );
    using deadline = new Deadline(timeoutMs);
    using expired = whenAborted(deadline.signal);
    const result = await Promise.race([
      this.#pending,
      expired.promise.then(() => null),
    ]);
    if (result === null) return null;
    this.#pending = undefined;
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * The next datagram from `sender` (its exact address and port, or path), or `null`
   * once `within` runs out; without `within`, waits for ever. Datagrams from
   * anyone else are passed to `onIgnored` and skipped: a client listens to
   * its server only.
   */
  async nextFrom(
    sender: Deno.Addr,
    within?: Deadline,
    onIgnored?: (datagram: Datagram) => Promise<void> | void,
  ): Promise<Datagram | null> {
    while (true) {
      const left = within?.remainingMs ?? Infinity;
      if (left <= 0) return null;
      const datagram = await this.next(left);
      if (datagram === null) return null;
      if (sameAddr(datagram.from, sender)) return datagram;
      await onIgnored?.(datagram);
    }
  }

  /** Resolves once an outstanding receive has ended (after the socket is closed). */
  async closed(): Promise<void> {
    await this.#pending;
  }
}
