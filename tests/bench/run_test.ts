import assert from "node:assert/strict";
import { serveInProcess, waitUntil } from "../_helpers.ts";
import { startExec } from "../_exec.ts";
import { runBench } from "../../lib/bench/run.ts";
import { serveTcpEcho } from "../../lib/tcp_echo/server.ts";
import { serveUdpUpper } from "../../lib/udp_upper/server.ts";

Deno.test("runBench() against an in-process echo server counts every exchange", async () => {
  await using server = serveInProcess(
    "tcp-echo",
    (listener, signal, logger) => serveTcpEcho(listener, { signal, logger }),
  );
  const result = await runBench({
    target: "tcp-echo",
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: server.port },
    connections: 4,
    durationMs: 500,
    size: 1000,
    timeoutMs: 2000,
  });
  assert.equal(result.errors, 0, result.first_error);
  assert.ok(result.requests > 10, `${result.requests} requests`);
  assert.ok(result.p50_ms <= result.p99_ms && result.p99_ms <= result.max_ms);
  const rps = result.requests / result.seconds;
  assert.ok(Math.abs(result.rps - rps) / rps < 0.005, "rps is requests/s");
  const mbps = result.requests * 1000 / result.seconds / 1e6;
  assert.ok(Math.abs(result.mbps - mbps) / mbps < 0.005, "MB/s: reply bytes");
  await waitUntil(
    () => Promise.resolve(server.log.events("close").length === 4),
    5000,
    "four close lines",
  );
  const closes = server.log.events("close");
  assert.equal(closes.length, 4, "one connection per client, no reconnects");
  const bytesIn = closes.reduce((sum, c) => sum + Number(c.bytes_in), 0);
  assert.ok(
    bytesIn >= result.requests * 1000,
    "the server saw every counted request",
  );
});

/** A server that hangs up on each connection at once, or holds each one silently. */
function muteServer(kind: "hang-up" | "silent") {
  return serveInProcess(kind, async (listener, signal) => {
    const open: Deno.Conn[] = [];
    signal.addEventListener("abort", () => {
      listener.close();
      for (const conn of open) conn.close();
    }, { once: true });
    try {
      for await (const conn of listener) {
        if (kind === "hang-up") conn.close();
        else open.push(conn);
      }
    } catch {
      // Closed at shutdown.
    }
  });
}

/** Two tcp-echo clients for 300 ms against `port`. */
function echoBench(port: number, timeoutMs: number) {
  return runBench({
    target: "tcp-echo",
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port },
    connections: 2,
    durationMs: 300,
    size: 64,
    timeoutMs,
  });
}

Deno.test("runBench() counts a server that hangs up as errors and reconnects", async () => {
  await using server = muteServer("hang-up");
  const result = await echoBench(server.port, 1000);
  assert.equal(result.requests, 0);
  assert.ok(result.errors >= 2, `${result.errors} errors`);
  assert.match(result.first_error ?? "", /closed|reset|broken|write/i);
});

Deno.test("runBench() counts a server that never answers as timeouts and ends on time", async () => {
  await using server = muteServer("silent");
  const started = performance.now();
  const result = await echoBench(server.port, 100);
  assert.equal(result.requests, 0);
  assert.ok(result.errors >= 2, `${result.errors} errors`);
  assert.ok(
    performance.now() - started < 300 + 100 + 1000,
    "a pending request is cut at its timeout",
  );
});

Deno.test("runBench() drives udp-upper and exec servers", async () => {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const stop = new AbortController();
  const { CapturedLog } = await import("../_helpers.ts");
  const served = serveUdpUpper(socket, {
    signal: stop.signal,
    logger: new CapturedLog().logger("udp-upper", true),
    ratePerSecond: 0,
  });
  try {
    const udp = await runBench({
      target: "udp-upper",
      endpoint: {
        transport: "udp",
        hostname: "127.0.0.1",
        port: (socket.addr as Deno.NetAddr).port,
      },
      connections: 4,
      durationMs: 300,
      size: 100,
      timeoutMs: 1000,
    });
    assert.equal(udp.errors, 0, udp.first_error);
    assert.ok(udp.requests > 10);
  } finally {
    stop.abort();
    const stats = await served;
    assert.ok(stats.replied > 10);
  }
  await using exec = startExec({ maxConcurrent: 4 });
  const result = await runBench({
    target: "exec",
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: exec.port },
    connections: 2,
    durationMs: 400,
    size: 0,
    timeoutMs: 5000,
    command: "true",
  });
  assert.equal(result.errors, 0, result.first_error);
  assert.ok(result.requests > 2, `${result.requests} commands`);
  assert.equal(exec.log.events("exec").length, result.requests);
  const failing = await runBench({
    target: "exec",
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port: exec.port },
    connections: 1,
    durationMs: 200,
    size: 0,
    timeoutMs: 5000,
    command: "exit 3",
  });
  assert.equal(failing.errors, failing.requests);
  assert.equal(failing.first_error, "the command exited 3");
});
