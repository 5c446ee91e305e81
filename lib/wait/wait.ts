/**
 * `sockit wait`: waits until each `tcp://host:port` accepts a connection,
 * each `unix:PATH` exists and accepts, and each `udp://host:port` answers a
 * datagram, polling with back-off, for CI scripts that start a server in
 * the background (what wait-for-it.sh and `dockerize -wait` do). Each
 * target is reported the moment it comes up.
 *
 * @module
 */

import { Deadline, sleep } from "../io/timers.ts";
import { type Endpoint, formatEndpoint, parseAddress } from "../net/address.ts";
import { connectTo } from "../net/connect.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import { openDatagramClient } from "../net/udp_socket.ts";

/** The first pause between attempts, in ms; it grows by half each time. */
export const FIRST_POLL_MS = 50;
/** The longest pause between attempts, in ms. */
export const MAX_POLL_MS = 1000;

/**
 * Parses a wait target: `tcp://host:port`, `host:port` (TCP),
 * `udp://host:port`, or `unix:PATH`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWaitTarget } from "./wait.ts";
 * assert.ok(parseWaitTarget("tcp://[::1]:80").transport === "tcp");
 * assert.ok(parseWaitTarget("udp://127.0.0.1:3000").transport === "udp");
 * assert.ok(parseWaitTarget("unix:/tmp/s").transport === "unix");
 * ```
 */
export function parseWaitTarget(text: string): Endpoint {
  return parseAddress(text, { bare: "tcp", schemes: ["tcp", "udp", "unix"] });
}

/** How one target fared. */
export interface WaitResult {
  /** The target. */
  target: Endpoint;
  /** `null` once it is up; else why the last try failed. */
  error: string | null;
  /** From the start to it coming up (or to giving up), in ms. */
  ms: number;
}

/** Options of {@linkcode waitForAll}. */
export interface WaitOptions {
  /** Give up after this long, in ms. */
  timeoutMs: number;
  /** What a UDP target is sent. @default {"ping"} */
  send?: string;
  /** The reply a UDP target must give; absent = any reply from it. */
  expect?: string;
  /** Told of each target as it comes up. */
  onReady?: (result: WaitResult) => Promise<void> | void;
  /** Told which targets are still awaited, after each try. */
  onWaiting?: (waiting: readonly Endpoint[]) => void;
}

/**
 * Waits for every target to come up, at most `options.timeoutMs`, and
 * resolves to each one's result (those not up have an `error`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitForAll } from "./wait.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const [result] = await waitForAll([{ transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port }], { timeoutMs: 2000 });
 * assert.ok(result!.error === null);
 * listener.close();
 * ```
 */
export async function waitForAll(
  targets: readonly Endpoint[],
  options: WaitOptions,
): Promise<WaitResult[]> {
  using deadline = new Deadline(options.timeoutMs);
  const waiting = new Set(targets);
  return await Promise.all(targets.map(async (target) => {
    const result = await waitForOne(target, deadline, options);
    waiting.delete(target);
    if (result.error === null) await options.onReady?.(result);
    options.onWaiting?.([...waiting]);
    return result;
  }));
}

async function waitForOne(
  target: Endpoint,
  deadline: Deadline,
  options: WaitOptions,
): Promise<WaitResult> {
  const started = performance.now();
  let pauseMs = FIRST_POLL_MS;
  let error = "not tried";
  while (true) {
    const left = deadline.remainingMs;
    if (left <= 0) return { target, error, ms: performance.now() - started };
    const failure = await probe(target, Math.min(left, MAX_POLL_MS), options);
    if (failure === null) {
      return { target, error: null, ms: performance.now() - started };
    }
    error = failure;
    await sleep(Math.min(pauseMs, deadline.remainingMs));
    pauseMs = Math.min(pauseMs * 1.5, MAX_POLL_MS);
  }
}

/** One try: `null` if the target is up, else why not. */
async function probe(
  target: Endpoint,
  timeoutMs: number,
  options: WaitOptions,
): Promise<string | null> {
  try {
    if (target.transport !== "udp") {
      (await connectTo(target, timeoutMs)).close();
      return null;
    }
  } catch (err) {
    // A live unix datagram socket refuses a stream with "protocol wrong type": it is up.
    if (/protocol wrong type/i.test((err as Error).message)) return null;
    return (err as Error).message.replace(/^.*: /, "");
  }
  try {
    return await probeUdp(target, timeoutMs, options);
  } catch (err) {
    return (err as Error).message.replace(/^.*: /, "");
  }
}

const encoder = new TextEncoder();

async function probeUdp(
  target: Endpoint,
  timeoutMs: number,
  options: WaitOptions,
): Promise<string | null> {
  await using client = await openDatagramClient(target);
  const { socket, server } = client;
  const inbox = new DatagramInbox(socket);
  try {
    await socket.send(encoder.encode(options.send ?? "ping"), server);
    using replyWithin = new Deadline(timeoutMs);
    const reply = await inbox.nextFrom(server, replyWithin);
    if (reply === null) return "no reply";
    const text = new TextDecoder().decode(reply.data);
    if (options.expect !== undefined && text !== options.expect) {
      return `replied ${JSON.stringify(text)}, not ${
        JSON.stringify(options.expect)
      }`;
    }
    return null;
  } finally {
    socket.close();
    await inbox.closed().catch(() => {});
  }
}

/**
 * The line a target that came up gets: `ready: ADDRESS (SECONDS)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readyLine } from "./wait.ts";
 * assert.ok(readyLine({ target: { transport: "unix", path: "/s" }, error: null, ms: 1500 }) === "ready: unix:/s (1.5 s)");
 * ```
 */
export function readyLine(result: WaitResult): string {
  return `ready: ${formatEndpoint(result.target)} (${
    Number((result.ms / 1000).toFixed(3))
  } s)`;
}
