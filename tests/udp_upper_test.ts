import assert from "node:assert/strict";
import { requires } from "./_platform.ts";
import { memoryIo } from "../lib/demo/run.ts";
import { SockitError } from "../lib/cli/errors.ts";
import {
  runUdpUpperClient,
  serveUdpUpper,
  type UdpUpperClientOptions,
} from "../lib/udp_upper/udp_upper.ts";
import { CapturedLog, withTimeout } from "./_helpers.ts";
import { LossyRelay, UdpPeer } from "./_udp.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function startUpper(
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

async function ask(peer: UdpPeer, to: Deno.NetAddr, request: Uint8Array) {
  await peer.send(request, to);
  return (await peer.receive(5000, "the reply")).data;
}

Deno.test("udp-upper round-trips ASCII, Unicode, invalid UTF-8 and empty datagrams", async (t) => {
  await using server = startUpper();
  await using peer = new UdpPeer();
  const cases: Array<[string, Uint8Array, Uint8Array]> = [
    ["ASCII", encode("sally"), encode("SALLY")],
    ["straße", encode("straße"), encode("STRASSE")],
    ["4-byte characters", encode("𐐨𐐩 😀 ok"), encode("𐐀𐐁 😀 OK")],
    [
      "invalid UTF-8",
      new Uint8Array([0x61, 0xff, 0xc3, 0x62]),
      new Uint8Array([0x41, 0xff, 0xc3, 0x42]),
    ],
    ["empty", new Uint8Array(), new Uint8Array()],
  ];
  for (const [name, request, expected] of cases) {
    await t.step(
      name,
      async () =>
        assert.deepEqual(await ask(peer, server.addr, request), expected),
    );
  }
});

Deno.test("a 65,507-byte datagram of ΐ gets a reply exactly as long", async () => {
  await using server = startUpper();
  await using peer = new UdpPeer();
  const request = encode("ΐ".repeat(32753) + "a");
  assert.equal(request.length, 65507);
  const reply = await ask(peer, server.addr, request);
  assert.equal(reply.length, 65507);
  assert.equal(decode(reply), "ΐ".repeat(32753) + "A");
});

Deno.test("udp-upper logs each datagram like the seeds, cut when long", async () => {
  await using server = startUpper();
  await using peer = new UdpPeer();
  await ask(peer, server.addr, encode("sally"));
  await ask(peer, server.addr, new Uint8Array(5000).fill(0x62));
  const [first, second] = server.log.events("datagram");
  assert.equal(first?.says, "sally");
  assert.equal(first?.peer, `127.0.0.1:${peer.addr.port}`);
  assert.equal(second?.bytes, 5000);
  assert.match(String(second?.says), /^b{80}… \(5000 bytes\)$/);
});

Deno.test("10,000 datagrams from 16 senders are all answered correctly", async () => {
  await using server = startUpper({ ratePerSecond: 0 });
  const senders = Array.from({ length: 16 }, () => new UdpPeer());
  try {
    const perSender = 625;
    const window = 8; // Datagrams in flight per sender: loopback buffers never overflow.
    await withTimeout(
      Promise.all(senders.map(async (peer, s) => {
        const waiting = new Set<string>();
        for (let i = 0; i < perSender || waiting.size > 0;) {
          while (i < perSender && waiting.size < window) {
            const message = `sender ${s} message ${i++} ß`;
            waiting.add(message.toUpperCase());
            await peer.send(message, server.addr);
          }
          const reply = decode(
            (await peer.receive(5000, `replies to sender ${s}`)).data,
          );
          assert.ok(waiting.delete(reply), `unexpected reply ${reply}`);
        }
      })),
      60_000,
      "10,000 replies",
    );
    await using late = new UdpPeer();
    assert.equal(
      decode(await ask(late, server.addr, encode("still up"))),
      "STILL UP",
    );
  } finally {
    await Promise.all(senders.map((s) => s[Symbol.asyncDispose]()));
  }
});

Deno.test(
  "a flood from one source is capped while another source is still answered",
  requires("linux"),
  async () => {
    await using server = startUpper({ ratePerSecond: 50 });
    await using flooder = new UdpPeer("127.0.0.1");
    await using other = new UdpPeer("127.0.0.2");
    const started = performance.now();
    let replies = 0;
    for (let i = 0; i < 500; i++) await flooder.send(`flood ${i}`, server.addr);
    // A probe from the same source is processed after the flood: once the flood is all received,
    // the server has decided every reply. Wait for the probe's drop to be logged instead.
    const dropped = await server.log.waitFor(
      /"event":"dropped".*"reason":"rate-limited"/,
      5000,
    );
    while (await flooder.inbox.next(200)) replies++;
    const seconds = (performance.now() - started) / 1000;
    assert.ok(replies >= 1, "the first datagrams are answered");
    assert.ok(
      replies <= 50 + Math.ceil(50 * seconds) + 1,
      `${replies} replies in ${seconds.toFixed(2)} s`,
    );
    assert.equal(
      decode(await ask(other, server.addr, encode("me too"))),
      "ME TOO",
    );
    const line = JSON.parse(dropped);
    assert.equal(line.source, "127.0.0.1");
    assert.ok(line.count > 1, "one line counts many drops");
    const dropLines = server.log.events("dropped");
    assert.ok(
      dropLines.length <= Math.ceil(seconds) + 2,
      `${dropLines.length} drop lines`,
    );
  },
);

Deno.test("datagrams from source ports 7 and 19 get no reply", async (t) => {
  await using server = startUpper();
  await using probe = new UdpPeer();
  for (const port of [7, 19]) {
    await t.step(`port ${port}`, async () => {
      let reflector: UdpPeer;
      try {
        reflector = new UdpPeer("127.0.0.1", port);
      } catch (err) {
        if (err instanceof Deno.errors.PermissionDenied) {
          // deno-lint-ignore no-console -- a skipped case says why.
          console.log(
            `skipped: binding port ${port} needs root (${err.message})`,
          );
          return;
        }
        throw err;
      }
      await using _ = reflector;
      await reflector.send("loop?", server.addr);
      // The server handles datagrams in order: once the probe is answered, any reply to the
      // reflector would already be in its socket buffer.
      assert.equal(
        decode(await ask(probe, server.addr, encode("probe"))),
        "PROBE",
      );
      assert.equal(await reflector.inbox.next(100), null);
      await server.log.waitFor(
        new RegExp(
          `"reason":"blocked-port","source":"127\\.0\\.0\\.1:${port}"`,
        ),
        3000,
      );
    });
  }
});

function clientOptions(
  port: number,
  extra: Partial<UdpUpperClientOptions> = {},
): UdpUpperClientOptions {
  return {
    hostname: "127.0.0.1",
    port,
    messages: ["hello"],
    expects: [],
    timeoutMs: 100,
    retries: 4,
    ...extra,
  };
}

Deno.test("the client retransmits with backoff through a relay that drops the first datagrams", async () => {
  await using server = startUpper();
  await using relay = new LossyRelay(server.addr, 3);
  const io = memoryIo("", false);
  const code = await withTimeout(
    runUdpUpperClient(clientOptions(relay.addr.port, { verbose: true }), io),
    10_000,
    "the client",
  );
  assert.equal(code, 0);
  assert.equal(io.stdout.text(), "HELLO\n");
  assert.equal(relay.arrivals.length, 4, "three dropped, the fourth answered");
  const gaps = relay.arrivals.slice(1).map((t, i) => t - relay.arrivals[i]!);
  assert.ok(
    gaps[1]! > gaps[0]! * 1.3 && gaps[2]! > gaps[1]! * 1.3,
    `waits double: ${gaps.join(", ")}`,
  );
  assert.match(io.stderr.text(), /resending \(try 2 of 5\)/);
});

Deno.test("the client gives up after --retries with exit 1 and a clear line, in bounded time", async () => {
  await using relay = new LossyRelay(null, Infinity);
  const started = performance.now();
  await assert.rejects(
    withTimeout(
      runUdpUpperClient(
        clientOptions(relay.addr.port, { timeoutMs: 50, retries: 2 }),
        memoryIo("", false),
      ),
      5000,
      "the client",
    ),
    (err: unknown) => {
      assert.ok(err instanceof SockitError);
      assert.equal(err.exitCode, 1);
      assert.match(
        err.message,
        new RegExp(
          `^No reply from udp://127\\.0\\.0\\.1:${relay.addr.port} after 3 tries`,
        ),
      );
      return true;
    },
  );
  assert.equal(relay.arrivals.length, 3);
  assert.ok(
    performance.now() - started >= 50 + 100 + 200,
    "it waited 50 + 100 + 200 ms",
  );
});

Deno.test("the client ignores a reply from a foreign address", async () => {
  await using fake = new UdpPeer();
  await using foreign = new UdpPeer();
  const io = memoryIo("", false);
  const client = runUdpUpperClient(
    clientOptions(fake.addr.port, { verbose: true, timeoutMs: 5000 }),
    io,
  );
  const request = await fake.receive();
  await foreign.send("HELLO FROM ELSEWHERE", request.from);
  await fake.send("HELLO", request.from);
  assert.equal(await withTimeout(client, 5000, "the client"), 0);
  assert.equal(io.stdout.text(), "HELLO\n");
  assert.match(
    io.stderr.text(),
    new RegExp(`unexpected host 127\\.0\\.0\\.1:${foreign.addr.port}`),
  );
});

Deno.test("a late duplicate reply is not taken as the answer to the next message", async () => {
  await using fake = new UdpPeer();
  const io = memoryIo("", false);
  const client = runUdpUpperClient(
    clientOptions(fake.addr.port, {
      messages: ["one", "two"],
      timeoutMs: 5000,
      verbose: true,
    }),
    io,
  );
  const first = await fake.receive();
  assert.equal(decode(first.data), "one");
  await fake.send("ONE", first.from);
  await fake.send("ONE", first.from); // The duplicate a retransmission would cause.
  const second = await fake.receive();
  assert.equal(decode(second.data), "two");
  await fake.send("TWO", second.from);
  assert.equal(await withTimeout(client, 5000, "the client"), 0);
  assert.equal(io.stdout.text(), "ONE\nTWO\n");
  assert.match(
    io.stderr.text(),
    /ignored a late reply to an earlier message: 'ONE'/,
  );
});

Deno.test("the client reads one datagram per stdin line and checks --expect", async () => {
  await using server = startUpper();
  const io = memoryIo("alpha\nbeta\n", false);
  await runUdpUpperClient(
    clientOptions(server.addr.port, { messages: [] }),
    io,
  );
  assert.equal(io.stdout.text(), "ALPHA\nBETA\n");
  await assert.rejects(
    runUdpUpperClient(
      clientOptions(server.addr.port, { messages: ["hi"], expects: ["hi"] }),
      memoryIo("", false),
    ),
    /Reply 1 differs from --expect: expected "hi", got "HI"/,
  );
});

Deno.test("::1 works for both roles", async () => {
  await using server = startUpper({ hostname: "::1" });
  const io = memoryIo("", false);
  await runUdpUpperClient(
    clientOptions(server.addr.port, { hostname: "::1" }),
    io,
  );
  assert.equal(io.stdout.text(), "HELLO\n");
});

Deno.test("--host localhost resolves to the IPv4 loopback where the server listens", async () => {
  await using server = startUpper();
  const io = memoryIo("", false);
  await runUdpUpperClient(
    clientOptions(server.addr.port, { hostname: "localhost" }),
    io,
  );
  assert.equal(io.stdout.text(), "HELLO\n");
});
