import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import {
  serveTcpEcho,
  type TcpEchoServerOptions,
} from "../../lib/tcp_echo/server.ts";
import { writeAll } from "../../lib/io/streams.ts";
import {
  CapturedLog,
  listenLoopback,
  randomPayload,
  readExactly,
  readToEnd,
  serveInProcess,
  sha256,
  withTimeout,
} from "../_helpers.ts";

/** Starts an in-process echo server on 127.0.0.1:0 and stops it at dispose. */
function startEcho(
  options: Partial<Omit<TcpEchoServerOptions, "signal" | "logger">> = {},
) {
  return serveInProcess(
    "tcp-echo",
    (listener, signal, logger) =>
      serveTcpEcho(listener, { signal, logger, ...options }),
  );
}

/** Sends `payload` while reading the echo concurrently; resolves with the echo. */
async function roundTrip(
  conn: Deno.Conn,
  payload: Uint8Array,
): Promise<Uint8Array> {
  const [, echoed] = await Promise.all([
    writeAll(conn, payload).then(() => conn.closeWrite()),
    readToEnd(conn),
  ]);
  return echoed;
}

Deno.test("tcp echo round-trips a 16 MiB random binary payload byte for byte", async () => {
  await using server = startEcho();
  const payload = randomPayload(16 * 1024 * 1024);
  using conn = await server.connect();
  const echoed = await withTimeout(
    roundTrip(conn, payload),
    30_000,
    "16 MiB echo",
  );
  assert.equal(echoed.length, payload.length);
  assert.equal(sha256(echoed), sha256(payload));
});

Deno.test("tcp echo serves 100 clients at once, each gets its own bytes and nothing else", async () => {
  await using server = startEcho();
  const conns = await Promise.all(
    Array.from({ length: 100 }, () => server.connect()),
  );
  try {
    const payloads = conns.map((_, i) => randomPayload(32 * 1024 + i));
    const echoes = await withTimeout(
      Promise.all(conns.map((conn, i) => roundTrip(conn, payloads[i]!))),
      30_000,
      "100 echoes",
    );
    echoes.forEach((echo, i) =>
      assert.equal(sha256(echo), sha256(payloads[i]!), `client ${i}`)
    );
  } finally {
    conns.forEach((c) => c.close());
  }
});

Deno.test("tcp echo answers a client that sends one byte at a time", async () => {
  await using server = startEcho();
  using conn = await server.connect();
  conn.setNoDelay(true);
  const payload = randomPayload(300);
  for (let i = 0; i < payload.length; i++) {
    await writeAll(conn, payload.subarray(i, i + 1));
    const echoed = await withTimeout(readExactly(conn, 1), 5000, `byte ${i}`);
    assert.equal(echoed[0], payload[i]);
  }
});

Deno.test("tcp echo takes 1 MiB in one write before the client reads anything", async () => {
  await using server = startEcho();
  using conn = await server.connect();
  const payload = randomPayload(1024 * 1024);
  await withTimeout(writeAll(conn, payload), 10_000, "the 1 MiB write");
  const echoed = await withTimeout(
    readExactly(conn, payload.length),
    10_000,
    "the 1 MiB echo",
  );
  assert.equal(sha256(echoed), sha256(payload));
});

Deno.test("tcp echo stops reading a client that stops reading (bounded buffering)", async () => {
  await using server = startEcho();
  using conn = await server.connect();
  const chunk = randomPayload(1024 * 1024);
  let written = 0;
  const limit = 64 * 1024 * 1024; // About 8 MiB fit in loopback socket buffers here.
  // Write without reading until a write makes no progress for 2 s: the server must push back
  // long before 64 MiB, because it reads a connection only as fast as it can write back.
  while (written < limit) {
    const write = conn.write(chunk);
    write.catch(() => {}); // The last, stalled write fails when the connection closes below.
    const n = await stalledAfter(write, 2000);
    if (n === "stalled") break;
    written += n;
  }
  assert.ok(
    written < limit,
    `server accepted ${written} bytes without being read`,
  );
  conn.close();
});

Deno.test("a client vanishing mid-stream does not disturb the others", async () => {
  await using server = startEcho();
  using steady = await server.connect();
  const vanishing = await server.connect();
  await writeAll(vanishing, randomPayload(4 * 1024 * 1024));
  vanishing.close();
  const payload = randomPayload(256 * 1024);
  const echoed = await withTimeout(
    roundTrip(steady, payload),
    10_000,
    "the steady client's echo",
  );
  assert.equal(sha256(echoed), sha256(payload));
  await server.log.waitFor(/"event":"close".*"reason":"(error|eof)"/);
  using later = await server.connect();
  const again = await withTimeout(
    roundTrip(later, payload),
    10_000,
    "a later client's echo",
  );
  assert.equal(sha256(again), sha256(payload));
});

Deno.test("--max-conns closes a connection over the limit at once and logs it", async () => {
  await using server = startEcho({ maxConns: 2 });
  using a = await server.connect();
  using b = await server.connect();
  for (const conn of [a, b]) {
    await writeAll(conn, new Uint8Array([1]));
    await withTimeout(readExactly(conn, 1), 5000, "an accepted echo");
  }
  using c = await server.connect();
  const refused = await withTimeout(
    c.read(new Uint8Array(1)).catch(() => null),
    5000,
    "the extra connection to be closed",
  );
  assert.equal(refused, null);
  const [event] = server.log.events("refused");
  assert.equal(event?.reason, "max-conns");
  a.close();
  await server.log.waitFor(/"event":"close"/);
  using d = await server.connect();
  await writeAll(d, new Uint8Array([7]));
  assert.deepEqual(
    await withTimeout(readExactly(d, 1), 5000, "echo after a slot freed"),
    new Uint8Array([7]),
  );
});

Deno.test("--idle-timeout closes a silent connection and keeps a busy one", async () => {
  await using server = startEcho({ idleTimeoutMs: 300 });
  using silent = await server.connect();
  using busy = await server.connect();
  const closed = withTimeout(
    silent.read(new Uint8Array(1)),
    5000,
    "the idle close",
  );
  for (let i = 0; i < 8; i++) {
    // 8 exchanges, each waiting for the previous echo: busy stays open whatever the pace.
    await writeAll(busy, new Uint8Array([i]));
    await withTimeout(readExactly(busy, 1), 5000, "a busy echo");
  }
  assert.equal(await closed, null);
  const closes = server.log.events("close");
  assert.ok(
    closes.some((e) => e.reason === "idle-timeout"),
    JSON.stringify(closes),
  );
});

Deno.test("upper and reverse modes answer line by line and keep line endings", async (t) => {
  for (
    const [mode, input, expected] of [
      ["upper", "hello\r\nstraße\nlast", "HELLO\r\nSTRASSE\nLAST"],
      ["reverse", "abc\n👍🏽x\n", "cba\nx👍🏽\n"],
    ] as const
  ) {
    await t.step(mode, async () => {
      await using server = startEcho({ mode });
      using conn = await server.connect();
      const echoed = await withTimeout(
        roundTrip(conn, new TextEncoder().encode(input)),
        5000,
        "lines",
      );
      assert.equal(new TextDecoder().decode(echoed), expected);
    });
  }
});

Deno.test("a line over 64 KiB closes that connection only", async () => {
  await using server = startEcho({ mode: "reverse" }); // upper needs no lines: it answers chunk by chunk.
  using bad = await server.connect();
  using good = await server.connect();
  await writeAll(bad, new Uint8Array(65 * 1024).fill(0x61));
  const rest = await withTimeout(
    readToEnd(bad).catch(() => new Uint8Array()),
    5000,
    "the bad connection's close",
  );
  assert.equal(rest.length, 0);
  const closes = await server.log.waitFor(/"reason":"error"/);
  assert.match(closes, /Line longer than 65536 bytes/);
  const echoed = await withTimeout(
    roundTrip(good, new TextEncoder().encode("ok\n")),
    5000,
    "good echo",
  );
  assert.equal(new TextDecoder().decode(echoed), "ko\n");
});

Deno.test("tcp echo works over a unix socket", requires("posix"), async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const stop = new AbortController();
  const served = serveTcpEcho(listener, {
    signal: stop.signal,
    logger: new CapturedLog().logger(),
  });
  try {
    using conn = await Deno.connect({ transport: "unix", path });
    const payload = randomPayload(200_000);
    const echoed = await withTimeout(
      roundTrip(conn, payload),
      10_000,
      "unix echo",
    );
    assert.equal(sha256(echoed), sha256(payload));
  } finally {
    stop.abort();
    await served;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shutdown lets an in-flight transfer finish, then stops", async () => {
  const listener = listenLoopback();
  const log = new CapturedLog();
  const stop = new AbortController();
  const served = serveTcpEcho(listener, {
    signal: stop.signal,
    logger: log.logger(),
    graceMs: 10_000,
  });
  using conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const payload = randomPayload(4 * 1024 * 1024);
  const reading = readToEnd(conn);
  await writeAll(conn, payload.subarray(0, payload.length / 2));
  stop.abort();
  await log.waitFor(/"event":"shutdown"/);
  await assertRefused(listener.addr.port);
  await writeAll(conn, payload.subarray(payload.length / 2));
  await conn.closeWrite();
  const echoed = await withTimeout(reading, 10_000, "the rest of the echo");
  assert.equal(sha256(echoed), sha256(payload));
  await withTimeout(served, 10_000, "the server to stop");
});

async function assertRefused(port: number): Promise<void> {
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
}

/** Resolves with `promise`'s value, or "stalled" if it is still pending after `ms`. */
async function stalledAfter<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | "stalled"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<"stalled">((resolve) =>
    timer = setTimeout(() => resolve("stalled"), ms)
  );
  try {
    return await Promise.race([promise, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
