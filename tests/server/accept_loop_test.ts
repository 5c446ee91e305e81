import assert from "node:assert/strict";
import { serveConnections } from "../../lib/server/accept_loop.ts";
import { listenLoopback } from "../../lib/net/listen.ts";
import { writeAll } from "../../lib/io/streams.ts";
import { CapturedLog, withTimeout } from "../_helpers.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("serveConnections() runs a handler per connection and logs open and close with byte counts", async () => {
  const listener = listenLoopback();
  const log = new CapturedLog();
  const stop = new AbortController();
  const served = serveConnections(listener, async (conn, context) => {
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    context.received(n ?? 0);
    await writeAll(conn, encode("ok"), context.sent);
  }, { signal: stop.signal, logger: log.logger("t") });
  const conn = await Deno.connect({ port: listener.addr.port });
  await writeAll(conn, encode("hello"));
  const reply = new Uint8Array(2);
  assert.equal(await conn.read(reply), 2);
  conn.close();
  await log.waitFor(/"event":"close"/);
  const [close] = log.events("close");
  assert.equal(close?.bytes_in, 5);
  assert.equal(close?.bytes_out, 2);
  assert.equal(log.events("open").length, 1);
  stop.abort();
  await withTimeout(served, 5000, "the loop to stop");
});

Deno.test("serveConnections() survives a handler that throws, and logs the error", async () => {
  const listener = listenLoopback();
  const log = new CapturedLog();
  const stop = new AbortController();
  let calls = 0;
  const served = serveConnections(listener, () => {
    calls++;
    return Promise.reject(new Error("boom"));
  }, { signal: stop.signal, logger: log.logger("t") });
  for (let i = 0; i < 2; i++) {
    const conn = await Deno.connect({ port: listener.addr.port });
    assert.equal(
      await conn.read(new Uint8Array(1)),
      null,
      "closed by the loop",
    );
    conn.close();
  }
  await log.waitFor(/"error":"boom"/);
  assert.equal(calls, 2);
  stop.abort();
  await withTimeout(served, 5000, "the loop to stop");
});

Deno.test("serveConnections() closes one over --max-conns at once, and shuts down after its grace", async () => {
  const listener = listenLoopback();
  const log = new CapturedLog();
  const stop = new AbortController();
  const served = serveConnections(
    listener,
    async (conn) => {
      await conn.read(new Uint8Array(1)); // Holds the connection until it closes.
    },
    { signal: stop.signal, logger: log.logger("t"), maxConns: 1, graceMs: 50 },
  );
  const held = await Deno.connect({ port: listener.addr.port });
  await log.waitFor(/"event":"open"/);
  const extra = await Deno.connect({ port: listener.addr.port });
  assert.equal(await extra.read(new Uint8Array(1)), null);
  extra.close();
  assert.equal(log.events("refused")[0]?.reason, "max-conns");
  stop.abort();
  await withTimeout(served, 5000, "the loop to stop after its grace");
  assert.equal(log.events("grace-expired")[0]?.closing, 1);
  assert.equal(
    await held.read(new Uint8Array(1)),
    null,
    "closed at the grace's end",
  );
  held.close();
});
