/**
 * The server's side of a streamed request: the command's output goes out
 * frame by frame as it is read (each write awaited, so a client that stops
 * reading stalls the command's pipes, never the server's memory), stdin
 * comes in frame by frame when the request streams it, and one exit frame
 * ends the reply. The limits are those of a single reply: the slot, the
 * time limit, `--max-output` (counted, not kept), the process-group kill,
 * and cancellation when the client goes away.
 *
 * @module
 */

import type { ConnectionContext } from "../net/accept_loop.ts";
import { whenAborted } from "../io/timers.ts";
import { EarlyEof, type FrameConnection } from "./connection.ts";
import type { ExecRequest } from "./protocol.ts";
import type { CommandLine, RunOptions, RunOutcome } from "./runner.ts";
import { runCommand } from "./runner.ts";
import {
  chunkHeader,
  exitHeader,
  MAX_STREAM_CHUNK,
  parseStdinFrame,
} from "./stream_protocol.ts";

/** What {@linkcode runStreamed} needs of the server. */
export interface StreamedRun {
  /** The command to run. */
  commandLine: CommandLine;
  /** Its time limit, in ms. */
  timeoutMs: number;
  /** Takes a command slot; `null` when none comes (busy, or `signal` aborted). */
  acquire(signal: AbortSignal): Promise<(() => void) | null>;
  /** The rest of what `runCommand` takes: output cap, reaper, kill grace. */
  limits: Pick<RunOptions, "maxOutput" | "killGraceMs" | "reaper">;
}

/**
 * Runs a streamed request. Resolves to the outcome once the exit frame is
 * written, `"busy"` when no slot came (nothing was sent), or `"gone"` when
 * the client went away. `stdinOpen` is set when the command ended before
 * the client's stdin did: the connection cannot take another request.
 *
 * @example
 * ```ts ignore
 * import { runStreamed } from "./stream_server.ts";
 * const outcome = await runStreamed(run, request, frames, context);
 * ```
 */
export async function runStreamed(
  run: StreamedRun,
  request: ExecRequest,
  frames: FrameConnection,
  context: ConnectionContext,
): Promise<(RunOutcome & { stdinOpen: boolean }) | "busy" | "gone"> {
  using busy = context.hold();
  const gone = new AbortController();
  using forceClosed = whenAborted(context.signal);
  forceClosed.promise.then(() => gone.abort());
  const stopWatching = new AbortController();
  let watching: Promise<unknown> = Promise.resolve();
  const watchForEof = () => {
    watching = frames.input.watchForEof(stopWatching.signal).then((eof) =>
      eof && gone.abort()
    );
  };
  const stdin = request.stdinStream
    ? new StdinFrames(frames, gone, watchForEof)
    : undefined;
  if (!stdin) watchForEof();
  let writing: Promise<void> = Promise.resolve();
  const send = (header: Record<string, unknown>, body?: Uint8Array) => {
    writing = writing.then(() =>
      body ? frames.write(header, body) : frames.write(header)
    );
    return writing;
  };
  try {
    const release = await run.acquire(gone.signal);
    if (!release) return gone.signal.aborted ? "gone" : "busy";
    try {
      const outcome = await runCommand(run.commandLine, {
        ...run.limits,
        stdin: new Uint8Array(),
        ...(stdin ? { stdinSource: stdin.chunks() } : {}),
        timeoutMs: run.timeoutMs,
        signal: gone.signal,
        // The command is over: its slot is free, and what is left of the reply
        // is under the idle timeout again, so a client that never reads cannot
        // hold the slot or the connection past --idle-timeout.
        onExit: () => {
          release();
          busy[Symbol.dispose]();
        },
        output: async (which, chunk) => {
          for (let at = 0; at < chunk.length; at += MAX_STREAM_CHUNK) {
            const piece = chunk.subarray(at, at + MAX_STREAM_CHUNK);
            await send(chunkHeader(which, piece.length), piece).catch(
              (err) => {
                gone.abort();
                throw err;
              },
            );
          }
        },
      });
      if (outcome.cancelled || gone.signal.aborted) return "gone";
      await send(exitHeader(outcome));
      return { ...outcome, stdinOpen: stdin !== undefined && !stdin.ended };
    } finally {
      release();
    }
  } finally {
    stopWatching.abort();
    await watching;
  }
}

/**
 * A streamed stdin: frames read from the connection and handed to the
 * command one at a time (the next is read only once the last is written
 * to its pipe). Its end, or the connection's, is noticed here; after its
 * end the connection is watched for EOF as for a single reply.
 */
class StdinFrames {
  ended = false;

  constructor(
    readonly frames: FrameConnection,
    readonly gone: AbortController,
    readonly afterEnd: () => void,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    while (!this.gone.signal.aborted) {
      let body: Uint8Array;
      try {
        const header = await this.frames.readHeader();
        if (header === null) break; // The client went away mid-stdin.
        const frame = parseStdinFrame(header);
        if (frame.kind === "end") {
          this.ended = true;
          this.afterEnd();
          return;
        }
        body = await this.frames.readBody(frame.size);
      } catch (err) {
        if (!(err instanceof EarlyEof)) this.gone.abort(err);
        break;
      }
      yield body;
    }
    this.gone.abort();
  }
}
