/**
 * Where a command's reply goes, one implementation per reply mode. The
 * request's lifecycle (`lifecycle.ts`) is the same for both; a sink says
 * what differs: where stdin comes from, whether output is kept or sent as
 * it is read, how long to wait for pipes left open, and how the result
 * goes out.
 *
 * - {@linkcode SingleReply}: stdin was the request's body; output is kept
 *   (within `--max-output`) and sent at the end as one header and body.
 * - {@linkcode StreamedReply}: stdin comes as frames when the request
 *   streams it; output goes out as chunk frames while the command runs,
 *   each write awaited once a bounded amount is queued, so a client that
 *   stops reading stalls the command's pipes, never the server's memory;
 *   one exit frame ends the reply.
 *
 * @module
 */

import { EarlyEof, type FrameConnection } from "./connection.ts";
import { HEADROOM_BYTES } from "./frame.ts";
import {
  chunkHeader,
  exitHeader,
  MAX_CHUNK_BYTES,
  parseStdinFrame,
  singleReplyHeader,
} from "./protocol.ts";
import type { ExecResult } from "./result.ts";
import {
  DEFAULT_DRAIN_MS,
  type DrainRule,
  GIVE_UP,
  type RunOptions,
  type RunOutcome,
} from "./runner.ts";

/** Output a streamed reply may have queued for the client before the command waits: 256 KiB. */
export const MAX_QUEUED_OUTPUT = 256 * 1024;

/** What the lifecycle needs of a reply mode. */
export interface ReplySink {
  /** The command's stdin: the request's body, or frames as they come. */
  readonly stdin: RunOptions["stdin"];
  /** Takes output as it is read; absent, the runner keeps it. */
  readonly output?: RunOptions["output"];
  /** Bytes the runner leaves free before each chunk for `output`. */
  readonly outputHeadroom?: number;
  /** Whether to keep waiting for pipes left open after the command exits. */
  readonly drain: DrainRule;
  /**
   * Called once the request is in hand: `gone` aborts when the client goes
   * away; `watchForEof` starts watching the connection for its end, which
   * a sink whose stdin still comes over it calls only once stdin has ended.
   */
  begin(gone: AbortController, watchForEof: () => void): void;
  /** Sends the result, and what is left of the output. */
  finish(outcome: RunOutcome): Promise<void>;
  /** Whether the connection can take another request once this reply is out. */
  readonly reusable: boolean;
}

/**
 * The result on the wire of a command that ran.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultOf } from "./reply_sink.ts";
 * const outcome = { exitCode: 0, signal: null, timedOut: false, truncated: false, durationMs: 5, sizes: { stdout: 3, stderr: 0 }, kept: { stdout: new Uint8Array(3), stderr: new Uint8Array() }, cancelled: false };
 * assert.ok(resultOf(outcome).stdout_size === 3);
 * ```
 */
export function resultOf(outcome: RunOutcome): ExecResult {
  return {
    stdout_size: outcome.sizes.stdout,
    stderr_size: outcome.sizes.stderr,
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    timed_out: outcome.timedOut,
    truncated: outcome.truncated,
    duration_ms: outcome.durationMs,
  };
}

/**
 * One reply at the end: a header with the result and the SHA-256, then
 * stdout and stderr as its body.
 *
 * @example
 * ```ts ignore
 * import { SingleReply } from "./reply_sink.ts";
 * const sink = new SingleReply(frames, stdinBody);
 * ```
 */
export class SingleReply implements ReplySink {
  readonly drain = GIVE_UP;
  readonly reusable = true;

  /** Replies on `frames`; `stdin` is the request's body. */
  constructor(
    readonly frames: FrameConnection,
    readonly stdin: Uint8Array,
  ) {}

  /** Watches for the client leaving at once: its request is all in. */
  begin(_gone: AbortController, watchForEof: () => void): void {
    watchForEof();
  }

  /** Writes the header and the output kept. */
  async finish(outcome: RunOutcome): Promise<void> {
    const { stdout, stderr } = outcome.kept;
    await this.frames.write(
      singleReplyHeader(resultOf(outcome), stdout, stderr),
      stdout,
      stderr,
    );
  }
}

/**
 * Output as it is produced, one chunk frame at a time, then the exit
 * frame; stdin as frames when `stdinFrames`.
 *
 * @example
 * ```ts ignore
 * import { StreamedReply } from "./reply_sink.ts";
 * const sink = new StreamedReply(frames, true);
 * ```
 */
export class StreamedReply implements ReplySink {
  readonly stdin: RunOptions["stdin"];
  readonly #frames: FrameConnection;
  readonly #stdin: StdinFrames | undefined;
  #gone = new AbortController();
  #writing: Promise<void> = Promise.resolve();
  #queued = 0;

  /** Replies on `frames`; with `stdinFrames`, reads the command's stdin from them. */
  constructor(frames: FrameConnection, stdinFrames: boolean) {
    this.#frames = frames;
    this.#stdin = stdinFrames ? new StdinFrames(frames) : undefined;
    this.stdin = this.#stdin?.chunks() ?? new Uint8Array();
  }

  /** Watches for the client leaving now, or once its stdin frames have ended. */
  begin(gone: AbortController, watchForEof: () => void): void {
    this.#gone = gone;
    if (this.#stdin) this.#stdin.begin(gone, watchForEof);
    else watchForEof();
  }

  /**
   * Streaming, output may still be on its way to a slow client: wait while
   * it moves; only pipes held open with nothing to read are given up. Past
   * `--max-output` nothing more goes out: an escaped writer cannot hold it.
   */
  readonly drain: DrainRule = (progress) =>
    progress.writing > 0 ||
    (progress.idleMs < DEFAULT_DRAIN_MS && !progress.truncated);

  /** Sends one chunk as frames of at most 64 KiB; waits only once 256 KiB are queued. */
  readonly output = async (
    which: "stdout" | "stderr",
    chunk: Uint8Array,
  ): Promise<void> => {
    if (this.#gone.signal.aborted) throw new Error("The client went away");
    if (chunk.length <= MAX_CHUNK_BYTES && chunk.byteOffset >= HEADROOM_BYTES) {
      // The runner left room before the chunk: header and bytes go as one write, uncopied.
      this.#send(chunkHeader(which, chunk.length), chunk, true);
    } else {
      for (let at = 0; at < chunk.length; at += MAX_CHUNK_BYTES) {
        const piece = chunk.subarray(at, at + MAX_CHUNK_BYTES);
        this.#send(chunkHeader(which, piece.length), piece);
      }
    }
    if (this.#queued > MAX_QUEUED_OUTPUT) await this.#writing;
  };

  /** What the runner is asked to leave free before each chunk: room for its header. */
  readonly outputHeadroom = HEADROOM_BYTES;

  /** Whether the client's stdin frames have ended (or it sent none). */
  get reusable(): boolean {
    return this.#stdin?.ended ?? true;
  }

  /** Writes what is queued, then the exit frame. */
  async finish(outcome: RunOutcome): Promise<void> {
    this.#send(exitHeader(resultOf(outcome)));
    await this.#writing;
  }

  /** Queues a frame; `headroom`: the body has room for the header before it in its buffer. */
  #send(
    header: Record<string, unknown>,
    body?: Uint8Array,
    headroom = false,
  ): void {
    const size = body?.length ?? 0;
    this.#queued += size;
    this.#writing = this.#writing.then(async () => {
      try {
        if (body && headroom) {
          const start = body.byteOffset;
          const whole = new Uint8Array(body.buffer);
          await this.#frames.writeBefore(header, whole, start, start + size);
        } else if (body) await this.#frames.write(header, body);
        else await this.#frames.write(header);
      } catch (err) {
        this.#gone.abort();
        throw err;
      } finally {
        this.#queued -= size;
      }
    });
    this.#writing.catch(() => {}); // Whoever awaits it next sees the failure.
  }
}

/**
 * A streamed stdin: frames read from the connection and handed to the
 * command one at a time. Its end, or the connection's, is noticed here;
 * after its end the connection is watched for EOF as for a single reply.
 */
class StdinFrames {
  ended = false;
  #gone = new AbortController();
  #afterEnd = () => {};

  constructor(readonly frames: FrameConnection) {}

  begin(gone: AbortController, afterEnd: () => void): void {
    [this.#gone, this.#afterEnd] = [gone, afterEnd];
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    while (!this.#gone.signal.aborted) {
      let body: Uint8Array;
      try {
        const header = await this.frames.readHeader();
        if (header === null) break; // The client went away mid-stdin.
        const frame = parseStdinFrame(header);
        if (frame.kind === "end") {
          this.ended = true;
          this.#afterEnd();
          return;
        }
        body = await this.frames.readBody(frame.size);
      } catch (err) {
        if (!(err instanceof EarlyEof)) this.#gone.abort(err);
        break;
      }
      yield body;
    }
    this.#gone.abort();
  }
}
