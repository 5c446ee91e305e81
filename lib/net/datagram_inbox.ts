/**
 * Receiving datagrams with a time limit. `DatagramConn.receive()` cannot be
 * cancelled, so the inbox keeps at most one receive outstanding and lets a
 * timed-out wait pick it up again next time, rather than starting a second.
 *
 * @module
 */

/** A received datagram and where it came from. */
export interface Datagram {
  /** The payload. */
  data: Uint8Array;
  /** The sender. */
  from: Deno.NetAddr;
}

/**
 * Waits for datagrams on a socket, each wait bounded.
 *
 * @example
 * ```ts
 * import { DatagramInbox } from "./datagram_inbox.ts";
 * const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * const inbox = new DatagramInbox(socket);
 * console.assert((await inbox.next(10)) === null);
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
      ([data, from]) => ({ data, from: from as Deno.NetAddr }),
      (err: Error) => err,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = Number.isFinite(timeoutMs)
      ? new Promise<null>((resolve) =>
        timer = setTimeout(() => resolve(null), timeoutMs)
      )
      : new Promise<null>(() => {});
    const result = await Promise.race([this.#pending, expired]);
    clearTimeout(timer);
    if (result === null) return null;
    this.#pending = undefined;
    if (result instanceof Error) throw result;
    return result;
  }

  /** Resolves once an outstanding receive has ended (after the socket is closed). */
  async closed(): Promise<void> {
    await this.#pending;
  }
}
