import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { withTimeout } from "../_helpers.ts";
import { startUpper, UdpPeer } from "../_udp.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

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
