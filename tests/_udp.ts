/**
 * UDP test helpers: loopback sockets that clean up, an exchange with a time
 * limit, and a lossy relay that drops the first N datagrams it forwards.
 *
 * @module
 */

import { DatagramInbox } from "../lib/net/datagram_inbox.ts";

/** A UDP socket on `hostname`, port `port` (0 = any), with a bounded receive. */
export class UdpPeer implements AsyncDisposable {
  readonly socket: Deno.DatagramConn;
  readonly inbox: DatagramInbox;

  constructor(hostname = "127.0.0.1", port = 0) {
    this.socket = Deno.listenDatagram({ hostname, port, transport: "udp" });
    this.inbox = new DatagramInbox(this.socket);
  }

  get addr(): Deno.NetAddr {
    return this.socket.addr as Deno.NetAddr;
  }

  send(
    data: Uint8Array | string,
    to: Deno.Addr | { hostname: string; port: number },
  ) {
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    return this.socket.send(
      bytes,
      "transport" in to ? to : { transport: "udp", ...to },
    );
  }

  /** The next datagram within `ms`, or an error naming what was awaited. */
  async receive(ms = 5000, what = "a datagram") {
    const datagram = await this.inbox.next(ms);
    if (!datagram) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    return datagram;
  }

  async [Symbol.asyncDispose]() {
    this.socket.close();
    await this.inbox.closed();
  }
}

/**
 * A relay between a client and a server that drops the first `drop`
 * datagrams from the client, and records when each arrived.
 */
export class LossyRelay implements AsyncDisposable {
  readonly front = new UdpPeer();
  readonly back = new UdpPeer();
  readonly arrivals: number[] = [];
  readonly #running: Promise<void>;

  constructor(server: Deno.NetAddr | null, drop: number) {
    this.#running = this.#run(server, drop);
  }

  get addr(): Deno.NetAddr {
    return this.front.addr;
  }

  async #run(server: Deno.NetAddr | null, drop: number) {
    let client: Deno.NetAddr | undefined;
    const fromClient = async () => {
      while (true) {
        const d = await this.front.inbox.next(Infinity).catch(() => null);
        if (!d) return;
        client = d.from as Deno.NetAddr;
        this.arrivals.push(performance.now());
        if (this.arrivals.length > drop && server) {
          await this.back.send(d.data, server);
        }
      }
    };
    const fromServer = async () => {
      while (true) {
        const d = await this.back.inbox.next(Infinity).catch(() => null);
        if (!d) return;
        if (client) await this.front.send(d.data, client);
      }
    };
    await Promise.all([fromClient(), fromServer()]);
  }

  async [Symbol.asyncDispose]() {
    await this.front[Symbol.asyncDispose]();
    await this.back[Symbol.asyncDispose]();
    await this.#running;
  }
}
