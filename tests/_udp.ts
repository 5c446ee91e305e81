/**
 * UDP test helpers: loopback sockets that clean up, an exchange with a time
 * limit, and a lossy relay that drops the first N datagrams it forwards.
 *
 * @module
 */

import { DatagramInbox } from "../lib/net/datagram_inbox.ts";
import { serveUdpUpper } from "../lib/udp_upper/server.ts";
import { CapturedLog, withTimeout } from "./_helpers.ts";

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

/** An in-process udp-upper server on loopback (or `hostname`), logging to a captured log; stopped at dispose. */
export function startUpper(
  options: { ratePerSecond?: number; hostname?: string } = {},
) {
  const socket = Deno.listenDatagram({
    hostname: options.hostname ?? "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const log = new CapturedLog();
  const stop = new AbortController();
  const served = serveUdpUpper(socket, {
    signal: stop.signal,
    logger: log.logger("udp-upper"),
    ...(options.ratePerSecond === undefined
      ? {}
      : { ratePerSecond: options.ratePerSecond }),
  });
  return {
    addr: socket.addr as Deno.NetAddr,
    log,
    served,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await withTimeout(served, 5000, "the UDP server to stop");
    },
  };
}
