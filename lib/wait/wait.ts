/**
 * `sockit wait`: waits until each `tcp://host:port` accepts a connection and
 * each `unix:PATH` exists and accepts, polling with backoff, for CI scripts
 * that start a server in the background (what wait-for-it.sh and
 * `dockerize -wait` do).
 *
 * @module
 */

import { type Endpoint, formatEndpoint } from "../net/address.ts";
import { connectTo } from "../net/connect.ts";
import { formatSeconds } from "../io/units.ts";
import { SockitError, UsageError } from "../cli/errors.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";
import { Deadline, sleep } from "../io/timers.ts";

/** The first pause between attempts, in ms; it grows by half each time. */
export const FIRST_POLL_MS = 50;
/** The longest pause between attempts, in ms. */
export const MAX_POLL_MS = 1000;

/**
 * Parses a wait target: `tcp://host:port`, `host:port` (TCP), or `unix:PATH`.
 *
 * @example
 * ```ts
 * import { parseWaitTarget } from "./wait.ts";
 * console.assert(parseWaitTarget("tcp://[::1]:80").transport === "tcp");
 * console.assert(parseWaitTarget("unix:/tmp/s").transport === "unix");
 * ```
 */
export function parseWaitTarget(text: string): Endpoint {
  if (text.startsWith("unix:")) {
    const path = text.slice("unix:".length);
    if (path === "") {
      throw new UsageError(`Invalid address "${text}": unix: needs a path`);
    }
    return { transport: "unix", path };
  }
  const match = text.replace(/^tcp:\/\//, "").match(
    /^(\[[^\]]+\]|[^:\/\[\]]+):(\d+)$/,
  );
  const port = Number(match?.[2]);
  if (!match || !(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `Invalid address "${text}": use tcp://HOST:PORT (port 1-65535) or unix:PATH`,
    );
  }
  return {
    transport: "tcp",
    hostname: match[1]!.replace(/^\[|\]$/g, ""),
    port,
  };
}

/**
 * Waits for every target to accept a connection within `timeoutMs`; writes
 * a line per target that came up to `out`. Throws a {@linkcode SockitError}
 * listing the targets that never did.
 *
 * @example
 * ```ts
 * import { waitForAll } from "./wait.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * await waitForAll([{ transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port }], 2000, new MemoryWriter());
 * listener.close();
 * ```
 */
export async function waitForAll(
  targets: readonly Endpoint[],
  timeoutMs: number,
  out: ByteWriter,
): Promise<void> {
  using deadline = new Deadline(timeoutMs);
  const results = await Promise.all(
    targets.map((target) => waitForOne(target, deadline)),
  );
  const down = results.filter((r) => r.error !== null);
  for (const result of results) {
    if (result.error === null) {
      const line = `ready: ${formatEndpoint(result.target)} (${
        formatSeconds(result.ms)
      })\n`;
      await writeAll(out, new TextEncoder().encode(line));
    }
  }
  if (down.length > 0) {
    const list = down.map((r) => `${formatEndpoint(r.target)} (${r.error})`)
      .join(", ");
    throw new SockitError(`Not up within ${formatSeconds(timeoutMs)}: ${list}`);
  }
}

async function waitForOne(
  target: Endpoint,
  deadline: Deadline,
): Promise<{ target: Endpoint; error: string | null; ms: number }> {
  const started = performance.now();
  let pauseMs = FIRST_POLL_MS;
  let error = "not tried";
  while (true) {
    const left = deadline.remainingMs;
    if (left <= 0) return { target, error, ms: performance.now() - started };
    try {
      const conn = await connectTo(target, Math.min(left, MAX_POLL_MS));
      conn.close();
      return { target, error: null, ms: performance.now() - started };
    } catch (err) {
      error = (err as Error).message.replace(/^.*: /, "");
    }
    await sleep(Math.min(pauseMs, deadline.remainingMs));
    pauseMs = Math.min(pauseMs * 1.5, MAX_POLL_MS);
  }
}
