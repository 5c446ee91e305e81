/**
 * The relay and listen part of `sockit demo`: a traced listening sink, a
 * relay that coalesces in front of it, a relay that sends one byte a write
 * in front of an echo server, and a lossy UDP relay in front of an
 * uppercase server; a check for each.
 *
 * @module
 */

import type { DemoCheck, DemoSuite } from "./check.ts";
import { demand, memoryIo } from "./check.ts";
import { Logger } from "../io/log.ts";
import { MemoryWriter } from "../io/memory.ts";
import { seededRandom } from "../io/random.ts";
import { closeQuietly, writeAll } from "../io/streams.ts";
import { sleep } from "../io/timers.ts";
import { serveConnections } from "../server/accept_loop.ts";
import type { Endpoint } from "../net/address.ts";
import { connectTo } from "../net/connect.ts";
import { bindLoopbackDatagram, listenLoopback } from "../net/listen.ts";
import { traceListener, Tracer } from "../net/trace.ts";
import { openDatagramClient } from "../net/udp_socket.ts";
import { listenStream, stdoutTarget } from "../listen/sink.ts";
import { relayDatagrams } from "../relay/datagram_relay.ts";
import type { StreamFaults } from "../relay/fault_options.ts";
import { relayStreams } from "../relay/stream_relay.ts";
import { runTcpEchoClient } from "../tcp_echo/client.ts";
import { serveTcpEcho } from "../tcp_echo/server.ts";
import { runUdpUpperClient } from "../udp_upper/client.ts";
import { serveUdpUpper } from "../udp_upper/server.ts";

const encoder = new TextEncoder();

/**
 * Starts the relay and listen demo servers and returns the checks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relayDemo } from "./relay.ts";
 * await using suite = await relayDemo();
 * assert.ok(suite.checks.length > 0);
 * ```
 */
export function relayDemo(): Promise<DemoSuite> {
  const stop = new AbortController();
  const signal = stop.signal;
  const logger = new Logger({ service: "relay", quiet: true, sink: () => {} });
  let trace = "";
  const tracer = new Tracer({ write: (text) => trace += text });
  const received = new MemoryWriter();
  const sink = traceListener(listenLoopback(), tracer);
  const echo = listenLoopback();
  const upper = bindLoopbackDatagram();
  const tcp = (port: number): Endpoint => ({
    transport: "tcp",
    hostname: "127.0.0.1",
    port,
  });
  const relayTo = (target: Endpoint, faults: StreamFaults) => {
    const listener = listenLoopback();
    return {
      port: listener.addr.port,
      served: serveConnections(
        listener,
        relayStreams({
          connect: () => connectTo(target, 5000),
          upstream: faults,
          downstream: faults,
          random: seededRandom(1),
          logger,
        }),
        { signal, logger },
      ),
    };
  };
  const joining = relayTo(tcp(sink.addr.port), { coalesce: 100 });
  const splitting = relayTo(tcp(echo.addr.port), { chunk: { min: 1, max: 1 } });
  const lossy = bindLoopbackDatagram();
  const upperAddr = upper.addr as Deno.NetAddr;
  const served = [
    listenStream(sink, { signal, logger, target: stdoutTarget(received) }),
    serveTcpEcho(echo, { signal, logger }),
    serveUdpUpper(upper, { signal, logger }),
    relayDatagrams(lossy, {
      signal,
      logger,
      open: () =>
        openDatagramClient({
          transport: "udp",
          hostname: "127.0.0.1",
          port: upperAddr.port,
        }),
      upstream: { loss: 0.3, duplicate: 0, reorder: 0 },
      downstream: { loss: 0.3, duplicate: 0, reorder: 0 },
      random: seededRandom(4), // Four resends in this run: loss shown, the demo quick.
      maxClients: 16,
      idleMs: 60_000,
    }),
    joining.served,
    splitting.served,
  ];
  const lossyPort = (lossy.addr as Deno.NetAddr).port;

  const checks: DemoCheck[] = [
    {
      service: "listen",
      name: "prints what a client sends",
      command:
        `printf 'hello, sink\\n' | sockit tcp-echo client --port ${sink.addr.port}`,
      run: async () => {
        await sendAndClose(tcp(sink.addr.port), ["hello, sink\n"]);
        demand(
          received.text() === "hello, sink\n",
          `the sink printed ${JSON.stringify(received.text())}`,
        );
        return received.text();
      },
    },
    {
      service: "relay",
      name: "--coalesce 100: two writes, one read",
      command:
        `sockit relay server --port ${joining.port} --to 127.0.0.1:${sink.addr.port} --coalesce 100`,
      run: async () => {
        trace = "";
        await sendAndClose(tcp(joining.port), ["first\n", "second\n"]);
        const reads = trace.split("\n").filter((l) =>
          / recv \d+ bytes?$/.test(l)
        );
        demand(
          reads.length === 1 && reads[0]!.endsWith("recv 13 bytes"),
          `the sink read ${reads.length} times:\n${trace}`,
        );
        return `sockit listen --trace shows one read:\n${
          trace.split("\n").slice(0, 2).join("\n")
        }`;
      },
    },
    {
      service: "relay",
      name: "--chunk 1: the echo client still gets its line",
      command:
        `sockit tcp-echo client --port ${splitting.port} --message 'one byte a write' --expect 'one byte a write'`,
      run: async () => {
        const io = memoryIo("", false);
        await runTcpEchoClient({
          endpoint: tcp(splitting.port),
          messages: ["one byte a write"],
          expects: ["one byte a write"],
          timeoutMs: 5000,
        }, io);
        return io.stdout.text();
      },
    },
    {
      service: "relay",
      name: "--udp --loss 30%: the client resends",
      command:
        `sockit udp-upper client --port ${lossyPort} --timeout 0.05 --retries 10 --message m1 ... --message m5`,
      run: async () => {
        const io = memoryIo("", false);
        const messages = ["m1", "m2", "m3", "m4", "m5"];
        await runUdpUpperClient({
          endpoint: {
            transport: "udp",
            hostname: "127.0.0.1",
            port: lossyPort,
          },
          messages,
          expects: messages.map((m) => m.toUpperCase()),
          timeoutMs: 50,
          retries: 10,
          verbose: true,
        }, io);
        const resends =
          io.stderr.text().split("\n").filter((l) => l.includes("resending"))
            .length;
        return `${io.stdout.text()}(${resends} resends through 30% loss each way)`;
      },
    },
  ];

  return Promise.resolve({
    checks,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await Promise.all(served);
      for (const socket of [upper, lossy]) closeQuietly(socket);
    },
  });
}

/** Connects, writes each piece 10 ms apart, half-closes and waits for the end. */
async function sendAndClose(target: Endpoint, pieces: string[]): Promise<void> {
  using conn = await connectTo(target, 5000);
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await sleep(10); // Separate writes, as two sends would be.
    await writeAll(conn, encoder.encode(piece));
  }
  await conn.closeWrite();
  while ((await conn.read(new Uint8Array(1024))) !== null) {
    // Until the sink has read it all and closed.
  }
}
