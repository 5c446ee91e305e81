/**
 * One request's life on the exec server, the same for both reply modes:
 * hold the connection busy, watch for the client leaving, wait for a
 * command slot, run the command, free the slot and the hold the moment it
 * exits (what is left of the reply is under the idle timeout again), send
 * the result through the reply's sink, stop watching.
 *
 * @module
 */

import type { ConnectionContext } from "../server/accept_loop.ts";
import { whenAborted } from "../io/timers.ts";
import type { FrameConnection } from "./connection.ts";
import type { ReplySink } from "./reply_sink.ts";
import {
  type CommandLine,
  runCommand,
  type RunOptions,
  type RunOutcome,
} from "./runner.ts";

/** What a request's life needs of the server. */
export interface RequestLife {
  /** The command to run and its time limit, in ms (the policy's plan). */
  plan: { commandLine: CommandLine; timeoutMs: number };
  /** The connection the request came on. */
  frames: FrameConnection;
  /** The accept loop's view of the connection. */
  context: ConnectionContext;
  /** Takes a command slot; `null` when none comes (busy, or `signal` aborted). */
  acquire(signal: AbortSignal): Promise<(() => void) | null>;
  /** The rest of what `runCommand` takes: output cap, reaper, kill grace. */
  limits: Pick<RunOptions, "maxOutput" | "killGraceMs" | "reaper">;
}

/**
 * Runs one request and sends its reply through `sink`. Resolves to the
 * outcome once the reply is out (or, `cancelled` set, nothing was sent:
 * the client went away while it ran), `"busy"` when no slot came (nothing
 * was sent), or `"gone"` when the client went away before or after.
 *
 * @example
 * ```ts ignore
 * import { runRequest } from "./lifecycle.ts";
 * import { SingleReply } from "./reply_sink.ts";
 * const outcome = await runRequest(life, new SingleReply(frames, stdin));
 * ```
 */
export async function runRequest(
  life: RequestLife,
  sink: ReplySink,
): Promise<RunOutcome | "busy" | "gone"> {
  using busy = life.context.hold();
  const gone = new AbortController();
  using forceClosed = whenAborted(life.context.signal); // The server's signal: disposed after.
  forceClosed.promise.then(() => gone.abort());
  const stopWatching = new AbortController();
  let watching: Promise<unknown> = Promise.resolve();
  sink.begin(gone, () => {
    watching = life.frames.input.watchForEof(stopWatching.signal).then((
      eof,
    ) => eof && gone.abort());
  });
  try {
    const release = await life.acquire(gone.signal);
    if (!release) return gone.signal.aborted ? "gone" : "busy";
    try {
      const outcome = await runCommand(life.plan.commandLine, {
        ...life.limits,
        stdin: sink.stdin,
        ...(sink.output ? { output: sink.output } : {}),
        ...(sink.outputHeadroom ? { outputHeadroom: sink.outputHeadroom } : {}),
        drain: sink.drain,
        timeoutMs: life.plan.timeoutMs,
        signal: gone.signal,
        onExit: () => {
          release();
          busy[Symbol.dispose]();
        },
      });
      if (outcome.cancelled) return outcome;
      if (gone.signal.aborted) return "gone";
      await sink.finish(outcome);
      return outcome;
    } finally {
      release();
    }
  } finally {
    stopWatching.abort();
    await watching;
  }
}
