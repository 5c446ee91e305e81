/**
 * `sockit bench`: a load mode that drives a sockit server (or any echo,
 * uppercase or exec peer) with N clients, each keeping one request in
 * flight, for a fixed time, and reports requests/s, MB/s, latency
 * percentiles and errors. Clients reconnect after an error, pausing 100 ms
 * after a failed connect so a dead server does not spin the CPU.
 *
 * @module
 */

import { DEFAULT_MAX_REPLY } from "../exec/command.ts";
import type { Endpoint } from "../net/address.ts";
import { openStream } from "../net/connect.ts";
import { type StreamConn } from "../net/stream_conn.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import { ExecSession } from "../exec/session.ts";
import { LatencyHistogram } from "./latency.ts";
import { openDatagramClient } from "../net/udp_socket.ts";
import { closeQuietly, writeAll } from "../io/streams.ts";
import { Deadline, sleep } from "../io/timers.ts";
import type { ClientTls } from "../net/tls.ts";

/** The command `sockit bench exec` runs unless told: `true`. */
export const BENCH_COMMAND = "true";

/** The services `sockit bench` drives. */
export const BENCH_TARGETS = ["tcp-echo", "udp-upper", "exec"] as const;
/** One of {@linkcode BENCH_TARGETS}. */
export type BenchTarget = typeof BENCH_TARGETS[number];

/** Options of {@linkcode runBench}. */
export interface BenchOptions {
  /** Which service the server speaks. */
  target: BenchTarget;
  /** The server. */
  endpoint: Endpoint;
  /** Clients at once, each with one request in flight. */
  connections: number;
  /** How long to run, in ms. */
  durationMs: number;
  /** Message size in bytes (tcp-echo, udp-upper). */
  size: number;
  /** A request with no reply this long is an error (UDP: lost), in ms. */
  timeoutMs: number;
  /** The command exec runs. @default {"true"} */
  command?: string;
  /** Exec's token. */
  token?: string;
  /** Connect over TLS (tcp-echo, exec). */
  tls?: ClientTls;
  /** Called about once a second with the numbers so far. */
  onProgress?: (so_far: BenchResult) => void;
}

/** What a run measured. Latencies in ms; MB/s counts reply bytes. */
export interface BenchResult {
  target: BenchTarget;
  connections: number;
  size: number;
  seconds: number;
  requests: number;
  errors: number;
  rps: number;
  mbps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** What went wrong first, when anything did. */
  first_error?: string;
}

/** What every client adds to. */
interface Tally {
  latencies: LatencyHistogram;
  requests: number;
  errors: number;
  replyBytes: number;
  firstError?: string;
}

/** One client's request loop: resolves when `deadline` passes. */
type ClientLoop = (tally: Tally, deadline: Deadline) => Promise<void>;

/**
 * Runs the load and resolves to its result. Never throws for what the
 * server does: failures are counted as errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runBench } from "./run.ts";
 * import { serveTcpEcho } from "../tcp_echo/server.ts";
 * import { Logger } from "../io/log.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * const served = serveTcpEcho(listener, { signal: stop.signal, logger: new Logger({ service: "doc", quiet: true, sink: () => {} }) });
 * const result = await runBench({ target: "tcp-echo", endpoint: { transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port },
 *   connections: 2, durationMs: 200, size: 16, timeoutMs: 1000 });
 * assert.ok(result.requests > 0 && result.errors === 0);
 * stop.abort();
 * await served;
 * ```
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const loop = clientLoop(options);
  const tally: Tally = {
    latencies: new LatencyHistogram(),
    requests: 0,
    errors: 0,
    replyBytes: 0,
  };
  const started = performance.now();
  using deadline = new Deadline(options.durationMs);
  const progress = setInterval(
    () => options.onProgress?.(summarize(options, tally, started)),
    1000,
  );
  try {
    await Promise.all(
      Array.from({ length: options.connections }, () => loop(tally, deadline)),
    );
  } finally {
    clearInterval(progress);
  }
  return summarize(options, tally, started);
}

function summarize(
  options: BenchOptions,
  tally: Tally,
  started: number,
): BenchResult {
  const seconds = (performance.now() - started) / 1000;
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    target: options.target,
    connections: options.connections,
    size: options.target === "exec" ? 0 : options.size,
    seconds: round(seconds, 3),
    requests: tally.requests,
    errors: tally.errors,
    rps: round(tally.requests / seconds, 1),
    mbps: round(tally.replyBytes / seconds / 1e6, 3),
    p50_ms: tally.latencies.percentile(0.5),
    p99_ms: tally.latencies.percentile(0.99),
    max_ms: tally.latencies.max,
    ...(tally.firstError ? { first_error: tally.firstError } : {}),
  };
}

function clientLoop(options: BenchOptions): ClientLoop {
  switch (options.target) {
    case "tcp-echo":
      return (tally, deadline) =>
        reconnecting(
          options,
          tally,
          deadline,
          (conn) => echoExchanges(conn, options, tally, deadline),
        );
    case "exec":
      return (tally, deadline) =>
        reconnecting(
          options,
          tally,
          deadline,
          (conn) => execExchanges(conn, options, tally, deadline),
        );
    case "udp-upper":
      return (tally, deadline) => datagramExchanges(options, tally, deadline);
  }
}

/** Opens a connection, runs `exchanges` on it, and starts over after an error. */
async function reconnecting(
  options: BenchOptions,
  tally: Tally,
  deadline: Deadline,
  exchanges: (conn: StreamConn) => Promise<void>,
): Promise<void> {
  while (deadline.remainingMs > 0) {
    let conn: StreamConn;
    try {
      conn = await openStream(options.endpoint, options);
    } catch (err) {
      countError(tally, err);
      await sleep(Math.min(100, deadline.remainingMs));
      continue;
    }
    try {
      await exchanges(conn);
    } catch (err) {
      countError(tally, err);
    } finally {
      closeQuietly(conn); // The reply timeout may have closed it already.
    }
  }
}

function countError(tally: Tally, err: unknown): void {
  tally.errors++;
  tally.firstError ??= err instanceof Error ? err.message : String(err);
}

/** A message of `size` bytes that every echo mode answers with as many. */
function message(size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(0x61);
  if (size > 0) bytes[size - 1] = 0x0a;
  return bytes;
}

async function echoExchanges(
  conn: StreamConn,
  options: BenchOptions,
  tally: Tally,
  deadline: Deadline,
): Promise<void> {
  const request = message(options.size);
  const buffer = new Uint8Array(Math.max(options.size, 1));
  while (deadline.remainingMs > 0) {
    const sent = performance.now();
    using _replyWithin = new Deadline(options.timeoutMs, () => conn.close());
    await writeAll(conn, request);
    let got = 0;
    while (got < options.size) {
      const n = await conn.read(buffer.subarray(got));
      if (n === null) throw new Error("the server closed the connection");
      got += n;
    }
    tally.latencies.record(performance.now() - sent);
    tally.requests++;
    tally.replyBytes += options.size;
  }
}

async function execExchanges(
  conn: StreamConn,
  options: BenchOptions,
  tally: Tally,
  deadline: Deadline,
): Promise<void> {
  const session = new ExecSession(conn, {
    endpoint: options.endpoint,
    timeoutMs: options.timeoutMs,
    maxOutput: DEFAULT_MAX_REPLY,
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  const command = options.command ?? BENCH_COMMAND;
  while (deadline.remainingMs > 0) {
    const sent = performance.now();
    const reply = await session.run(command);
    tally.latencies.record(performance.now() - sent);
    tally.requests++;
    tally.replyBytes += reply.stdout.length + reply.stderr.length;
    if (reply.result.exit_code !== 0) {
      countError(tally, `the command exited ${reply.result.exit_code}`);
    }
  }
}

async function datagramExchanges(
  options: BenchOptions,
  tally: Tally,
  deadline: Deadline,
): Promise<void> {
  await using client = await openDatagramClient(options.endpoint);
  const { socket, server } = client;
  const inbox = new DatagramInbox(socket);
  const request = message(options.size);
  try {
    while (deadline.remainingMs > 0) {
      const sent = performance.now();
      try {
        await socket.send(request, server);
      } catch (err) {
        countError(tally, err);
        await sleep(Math.min(100, deadline.remainingMs));
        continue;
      }
      using replyWithin = new Deadline(options.timeoutMs);
      const reply = await inbox.nextFrom(server, replyWithin);
      if (reply === null) {
        countError(tally, `no reply within ${options.timeoutMs} ms`);
        continue;
      }
      tally.latencies.record(performance.now() - sent);
      tally.requests++;
      tally.replyBytes += reply.data.length;
    }
  } finally {
    socket.close();
    await inbox.closed();
  }
}
