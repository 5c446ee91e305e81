import assert from "node:assert/strict";
import { memoryIo } from "../../lib/demo/check.ts";
import { SockitError } from "../../lib/io/errors.ts";
import {
  runUdpUpperClient,
  type UdpUpperClientOptions,
} from "../../lib/udp_upper/client.ts";
import { withTimeout } from "../_helpers.ts";
import { LossyRelay, startUpper, UdpPeer } from "../_udp.ts";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function clientOptions(
  port: number,
  extra: Partial<UdpUpperClientOptions> & { hostname?: string } = {},
): UdpUpperClientOptions {
  const { hostname = "127.0.0.1", ...rest } = extra;
  return {
    endpoint: { transport: "udp", hostname, port },
    messages: ["hello"],
    expects: [],
    timeoutMs: 100,
    retries: 4,
    ...rest,
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
