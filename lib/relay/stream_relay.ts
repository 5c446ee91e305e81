/**
 * A relayed TCP (or unix) connection: the client's connection and a new one
 * to the target, a {@linkcode Pump} each way, and what a byte limit means
 * for both: `cut` closes both cleanly (each end gets its end of stream, and
 * what still arrives is dropped), `reset` resets the end the bytes were
 * going to and closes the other, `stall` forwards nothing more that way.
 * Each connection is logged once at its end: bytes each way, the faults on
 * it, and why it ended.
 *
 * @module
 */

import type { ConnectionContext } from "../server/accept_loop.ts";
import { closeQuietly } from "../io/streams.ts";
import type { LogFields, Logger } from "../io/log.ts";
import type { Random } from "../io/random.ts";
import { Deadline } from "../io/timers.ts";
import { describeOsError } from "../net/os_error.ts";
import type { StreamFaults } from "./fault_options.ts";
import { Pump, type PumpEnd, type RelayEnd } from "./pump.ts";

/** After a cut, how long the ends get to close their side before both are closed: 2 s. */
export const CUT_LINGER_MS = 2000;

/** Options of {@linkcode relayStreams}. */
export interface StreamRelayOptions {
  /** Opens a connection to the target; throws a `SockitError` when it cannot. */
  connect: () => Promise<RelayEnd>;
  /** Faults on the bytes from client to target. */
  upstream?: StreamFaults | undefined;
  /** Faults on the bytes from target to client. */
  downstream?: StreamFaults | undefined;
  /** Draws for the random faults (seeded by `--seed`). */
  random: Random;
  /** Where each connection's `relay` line goes. */
  logger: Logger;
  /** Connections to refuse first (`--refuse`): closed (reset where possible) at once. */
  refuse?: number;
}

/**
 * The accept loop's handler for a relay: refuses the first `refuse`
 * connections, then relays each to a new target connection.
 *
 * @example
 * ```ts ignore
 * import { relayStreams } from "./stream_relay.ts";
 * await serveConnections(listener, relayStreams({ connect, random: Math.random, logger }), { signal, logger });
 * ```
 */
export function relayStreams(
  options: StreamRelayOptions,
): (client: RelayEnd, context: ConnectionContext) => Promise<void> {
  let seen = 0;
  return async (client, context) => {
    if (seen++ < (options.refuse ?? 0)) {
      options.logger.info("refused", {
        peer: context.peer,
        reason: "refuse",
        refused: seen,
        of: options.refuse ?? 0,
      });
      await client.reset?.();
      return;
    }
    const target = await options.connect();
    try {
      await relayConnection(client, target, context, options);
    } finally {
      closeQuietly(target);
    }
  };
}

async function relayConnection(
  client: RelayEnd,
  target: RelayEnd,
  context: ConnectionContext,
  options: StreamRelayOptions,
): Promise<void> {
  const common = { random: options.random, signal: context.signal };
  const up = new Pump(client, target, {
    ...common,
    faults: options.upstream,
    onForwarded: context.received,
  });
  const down = new Pump(target, client, {
    ...common,
    faults: options.downstream,
    onForwarded: context.sent,
  });
  let linger: Deadline | undefined;
  let firstError: unknown;
  let unsentAtReset: number | undefined;
  const closeBoth = () => {
    closeQuietly(client);
    closeQuietly(target);
  };
  const cut = () => {
    if (linger) return;
    up.stop();
    down.stop();
    void client.closeWrite().catch(() => {});
    void target.closeWrite().catch(() => {});
    linger = new Deadline(CUT_LINGER_MS, closeBoth);
  };
  const run = async (pump: Pump, to: RelayEnd, from: RelayEnd) => {
    try {
      const end = await pump.run();
      if (end === "cut") cut();
      if (end === "reset") {
        if (to.reset) unsentAtReset = await to.reset();
        else closeQuietly(to);
        closeQuietly(from);
        return end;
      }
      if (end !== "eof") {
        // Past the limit, what still arrives is dropped; the linger closing
        // both ends while it drains is how a cut ends, not an error.
        await pump.drain().catch(() => {});
        await to.closeWrite().catch(() => {}); // The stalled side's end still ends.
      }
      return end;
    } catch (err) {
      firstError ??= err;
      closeBoth();
      throw err;
    }
  };
  const [upEnd, downEnd] = await Promise.allSettled([
    run(up, target, client),
    run(down, client, target),
  ]);
  linger?.[Symbol.dispose]();
  options.logger.info("relayed", {
    peer: context.peer,
    up_bytes: up.forwarded,
    down_bytes: down.forwarded,
    dropped_bytes: up.dropped + down.dropped,
    ...endFields(upEnd, downEnd, firstError),
    // The bytes above were handed to the kernel; these it still held when
    // the reset threw them away (a peer that did not read within 5 s).
    ...(unsentAtReset ? { unsent_at_reset: unsentAtReset } : {}),
  });
}

/** Why the connection ended, for its log line: a limit if one was reached. */
function endFields(
  up: PromiseSettledResult<PumpEnd>,
  down: PromiseSettledResult<PumpEnd>,
  firstError: unknown,
): LogFields {
  const ends = [up, down].map((r) => r.status === "fulfilled" ? r.value : "");
  const limit = ends.find((end) => end !== "" && end !== "eof");
  if (limit) return { end: `${limit}-after` };
  if (firstError !== undefined) {
    return { end: "error", error: describeOsError(firstError) };
  }
  return { end: "eof" };
}
