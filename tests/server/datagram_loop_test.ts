import assert from "node:assert/strict";
import { DropCounter, serveDatagrams } from "../../lib/server/datagram_loop.ts";
import { Logger } from "../../lib/io/log.ts";
import { parseCidr } from "../../lib/net/cidr.ts";

function recordingLogger() {
  const lines: string[] = [];
  const logger = new Logger({
    service: "test",
    sink: (line) => lines.push(line),
  });
  return { logger, lines };
}

function bind(hostname = "127.0.0.1"): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
}

Deno.test("DropCounter sums by reason and source, bounded, and resets on take", () => {
  const drops = new DropCounter(2);
  for (let i = 0; i < 5; i++) drops.add("rate-limited", "a");
  drops.add("blocked-port", "b:7");
  drops.add("rate-limited", "c");
  assert.deepEqual(drops.take(), [
    { reason: "rate-limited", source: "a", count: 5 },
    { reason: "blocked-port", source: "b:7", count: 1 },
    { reason: "dropped", source: "other", count: 1 },
  ]);
  assert.deepEqual(drops.take(), []);
});

/** A promise and its resolver, to wait for an event rather than for time. */
function signalled<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("serveDatagrams() drops a refused peer's datagrams before the service, counts them, and sums them up in one line", async () => {
  const server = bind();
  const allowed = bind("127.0.0.1");
  const denied = bind("127.0.0.2");
  const { logger, lines } = recordingLogger();
  const stop = new AbortController();
  const seen: string[] = [];
  const first = signalled();
  const serving = serveDatagrams(server, {
    signal: stop.signal,
    logger,
    peers: { allow: [], deny: [parseCidr("127.0.0.2")!] },
  }, (data, from) => {
    seen.push(
      `${new TextDecoder().decode(data)} from ${
        (from as Deno.NetAddr).hostname
      }`,
    );
    first.resolve();
  });
  try {
    for (let i = 0; i < 3; i++) {
      await denied.send(
        new TextEncoder().encode("refused-payload"),
        server.addr,
      );
    }
    await allowed.send(new TextEncoder().encode("yes"), server.addr);
    await first.promise; // Datagrams from one socket to another arrive in order.
  } finally {
    stop.abort(); // Closes the server's socket: keepOpen is not set.
    allowed.close();
    denied.close();
  }
  const counts = await serving;
  assert.deepEqual(seen, ["yes from 127.0.0.1"]);
  assert.deepEqual(counts, { received: 4, dropped: 3 });
  const dropped = lines.filter((l) => l.includes("dropped"));
  assert.equal(dropped.length, 1, lines.join("\n"));
  assert.match(
    dropped[0]!,
    /reason=not-allowed source=127\.0\.0\.2:\d+ count=3/,
  );
  assert.ok(
    !lines.some((l) => l.includes("refused-payload")),
    "a refused datagram's bytes are never logged",
  );
});

Deno.test("serveDatagrams() asks the service's own reasons after the peer rule, and waits for a handler's promise before that receiver's next datagram", async () => {
  const server = bind();
  const client = bind();
  const { logger, lines } = recordingLogger();
  const stop = new AbortController();
  const order: string[] = [];
  const started = [signalled(), signalled()];
  const finish = [signalled(), signalled()];
  let refusedOne = false;
  const serving = serveDatagrams(server, {
    signal: stop.signal,
    logger,
    refuse: () => {
      if (refusedOne) return null;
      refusedOne = true;
      return { reason: "first-refused", source: "client" };
    },
  }, async (data) => {
    const text = new TextDecoder().decode(data);
    const turn = order.length / 2;
    order.push(`start ${text}`);
    started[turn]!.resolve();
    await finish[turn]!.promise;
    order.push(`end ${text}`);
  });
  try {
    for (const text of ["a", "b", "c"]) {
      await client.send(new TextEncoder().encode(text), server.addr);
    }
    await started[0]!.promise;
    assert.deepEqual(order, ["start b"], "a was refused; c waits for b");
    finish[0]!.resolve();
    await started[1]!.promise;
    finish[1]!.resolve();
  } finally {
    client.close();
    server.close(); // keepOpen is not set, but closing it ends the loop too.
  }
  const counts = await serving;
  assert.deepEqual(order, ["start b", "end b", "start c", "end c"]);
  assert.deepEqual(counts, { received: 3, dropped: 1 });
  assert.ok(
    lines.some((l) =>
      /dropped reason=first-refused source=client count=1/.test(l)
    ),
  );
});
