import assert from "node:assert/strict";
import { relayDatagrams } from "../../lib/relay/datagram_relay.ts";
import { bindLoopbackDatagram } from "../../lib/net/listen.ts";
import { CapturedLog, withTimeout } from "../_helpers.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("relayDatagrams() takes replies only from the target: a stranger who finds the client's socket reaches no one", async () => {
  const relay = bindLoopbackDatagram();
  const target = bindLoopbackDatagram();
  const client = bindLoopbackDatagram();
  const stranger = bindLoopbackDatagram();
  const log = new CapturedLog();
  const stop = new AbortController();
  let upstream: (Deno.DatagramConn & { addr: Deno.NetAddr }) | undefined;
  const relaying = relayDatagrams(relay, {
    signal: stop.signal,
    logger: log.logger("relay"),
    open: () => {
      upstream = bindLoopbackDatagram();
      return Promise.resolve({ socket: upstream, server: target.addr });
    },
    random: Math.random,
    maxClients: 8,
    idleMs: 60_000,
  });
  try {
    await client.send(encode("ping"), relay.addr);
    const [request, from] = await withTimeout(
      target.receive(),
      5000,
      "the request at the target",
    );
    assert.equal(decode(request), "ping");
    await stranger.send(encode("forged"), upstream!.addr);
    await target.send(encode("pong"), from);
    const [reply] = await withTimeout(client.receive(), 5000, "the reply");
    assert.equal(decode(reply), "pong", "the forged datagram never arrives");
  } finally {
    stop.abort();
    await relaying;
    for (const s of [target, client, stranger]) s.close();
  }
  const [closed] = log.events("close");
  assert.equal(closed?.not_from_target, 1);
  assert.equal(closed?.down_datagrams, 1);
});
