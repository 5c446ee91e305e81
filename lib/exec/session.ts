/**
 * The exec client's requests over one connection, one at a time, in the
 * client's one mode (streamed, single or the seeds' legacy text): send the
 * request (with stdin as a body, or as frames while the command runs) and
 * read the reply with one reader, whichever form it takes. The reader
 * checks every size and the SHA-256 before trusting them, hands streamed
 * output to a sink as it comes, and returns the result with any output
 * the reply carried.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { SockitError } from "../io/errors.ts";
import { concatBytes } from "../io/bytes.ts";
import type { ByteReader } from "../io/streams.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatEndpoint } from "../net/address.ts";
import type { StreamConn } from "../net/stream_conn.ts";
import { type ClientTls, looksLikeTls, SPEAKS_TLS_HINT } from "../net/tls.ts";
import { EarlyEof, FrameConnection } from "./connection.ts";
import { FrameError, HEADROOM_BYTES } from "./frame.ts";
import {
  chunkHeader,
  encodeRequest,
  HELLO_REQUEST,
  MAX_CHUNK_BYTES,
  parseReplyFrame,
  type ReplyFrame,
  STDIN_END,
  streamsAccordingTo,
} from "./protocol.ts";
import type { ChunkSink, Reply } from "./reply.ts";

/** The client's exit code when the server cannot be reached, refuses, or breaks the protocol: 255, as ssh. */
export const EXIT_TRANSPORT = 255;

/** How long past its time limit the client waits for a reply: the server's SIGKILL grace and more. */
export const REPLY_GRACE_MS = 5000;

/**
 * A failure of the connection or the protocol, not of the remote command:
 * exit {@linkcode EXIT_TRANSPORT}, so CI can tell which side failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportError } from "./session.ts";
 * assert.ok(new TransportError("refused").exitCode === 255);
 * ```
 */
export class TransportError extends SockitError {
  override name = "TransportError";

  /** Creates the error with exit code 255. */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT_TRANSPORT });
  }
}

/**
 * How the client speaks: `stream` asks for output as it is produced (and
 * streams stdin, after a hello); `single` takes one reply at the end;
 * `legacy` sends the seeds' raw command line, with no frame and no token.
 */
export type ClientMode = "stream" | "single" | "legacy";

/** What an {@linkcode ExecSession} needs to know. */
export interface SessionOptions {
  /** The server, for messages. */
  endpoint: Endpoint;
  /** The TLS the connection uses, for the hint when it closes at once. */
  tls?: ClientTls;
  /** How to speak. @default {"single"} */
  mode?: ClientMode;
  /** The shared token, if any. */
  token?: string;
  /** Sent as `timeout_ms`; the reply may take this plus {@linkcode REPLY_GRACE_MS}. */
  timeoutMs: number;
  /** The largest single reply's body, or output collected, accepted. */
  maxOutput: number;
}

/** A request's stdin: bytes, or a reader to stream as frames (in `stream` mode). */
export type RequestStdin = Uint8Array | ByteReader;

/**
 * Requests over one connection, one at a time. `broken` says whether the
 * connection can take another.
 *
 * @example
 * ```ts ignore
 * import { ExecSession } from "./session.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 8083 });
 * const session = new ExecSession(conn, { endpoint, timeoutMs: 5000, maxOutput: 1 << 20 });
 * const reply = await session.run("true");
 * ```
 */
export class ExecSession {
  readonly #conn: StreamConn;
  readonly #options: SessionOptions;
  readonly #frames: FrameConnection;
  readonly #where: string;
  /** Whether the connection is no longer usable for another request. */
  broken = false;

  /** Speaks on `conn` to `options.endpoint`, within `options`' limits. */
  constructor(conn: StreamConn, options: SessionOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#frames = new FrameConnection(conn);
    this.#where = formatEndpoint(options.endpoint);
  }

  /** Whether the server streams: asks with a hello; a server that does not closes the connection. */
  async hello(): Promise<boolean> {
    try {
      await this.#frames.write(HELLO_REQUEST);
      const header = await this.#frames.readHeader();
      if (header !== null && streamsAccordingTo(header)) return true;
    } catch {
      // Closed, or a reply that is no frame: it does not stream.
    }
    this.broken = true;
    return false;
  }

  /**
   * Runs `command` and resolves to its checked reply; throws a
   * `SockitError`. A streamed reply's output goes to `sink` as it comes,
   * or, with no sink, into the reply (within `maxOutput`).
   */
  async run(
    command: string,
    stdin?: RequestStdin,
    sink?: ChunkSink,
  ): Promise<Reply> {
    const waitMs = this.#options.timeoutMs + REPLY_GRACE_MS;
    using deadline = new Deadline(waitMs, () => this.#conn.close());
    const stopStdin = new AbortController();
    try {
      const framedStdin = await this.#send(command, stdin);
      if (framedStdin) {
        void sendStdinFrames(this.#frames, framedStdin, stopStdin.signal);
      }
      return await this.#readReply(sink);
    } catch (err) {
      throw this.#failure(err, deadline.expired, waitMs);
    } finally {
      stopStdin.abort(); // A stdin read may still wait (a terminal): it sends nothing more.
    }
  }

  /** Sends the request; returns the stdin still to stream as frames. */
  async #send(
    command: string,
    stdin: RequestStdin | undefined,
  ): Promise<ByteReader | undefined> {
    const mode = this.#options.mode ?? "single";
    if (mode === "legacy") {
      await this.#frames.writeRaw(new TextEncoder().encode(command));
      return undefined;
    }
    const body = stdin instanceof Uint8Array ? stdin : new Uint8Array();
    const framed = stdin === undefined || stdin instanceof Uint8Array
      ? undefined
      : stdin;
    if (framed && mode !== "stream") {
      throw new TypeError("Only a streamed request streams its stdin");
    }
    const { token, timeoutMs } = this.#options;
    const header = encodeRequest({
      kind: "run",
      cmd: command,
      timeoutMs,
      reply: mode,
      stdin: framed ? "frames" : { size: body.length },
      ...(token === undefined ? {} : { token }),
    });
    await this.#frames.write(header, body);
    return framed;
  }

  /**
   * The one reply reader: frames until a single reply's body or the exit
   * frame. Output chunks go to `sink`, or are collected.
   */
  async #readReply(sink: ChunkSink | undefined): Promise<Reply> {
    const counted = { stdout: 0, stderr: 0 };
    const collected = {
      stdout: [] as Uint8Array[],
      stderr: [] as Uint8Array[],
    };
    for (let frames = 0;; frames++) {
      const header = await this.#frames.readHeader();
      if (header === null) throw this.#closedEarly(frames > 0);
      const frame = parseReplyFrame(header, this.#options.maxOutput, counted);
      if (frame.kind === "chunk") {
        counted[frame.type] += frame.size;
        if (
          !sink && counted.stdout + counted.stderr > this.#options.maxOutput
        ) {
          throw new FrameError(
            `The output is over the ${this.#options.maxOutput}-byte limit (--max-output)`,
          );
        }
        await this.#whole(this.#frames.withBody(frame.size, async (body) => {
          if (sink) await sink.chunk(frame.type, body);
          else collected[frame.type].push(body.slice());
        }));
        continue;
      }
      if (frames > 0 && frame.kind !== "exit") {
        throw new FrameError("A frame without a type inside a streamed reply");
      }
      if (frame.kind === "exit") {
        return {
          result: frame.result,
          stdout: concatBytes(collected.stdout),
          stderr: concatBytes(collected.stderr),
          streamed: sink !== undefined,
          sha256: null,
        };
      }
      if (frame.kind === "error") {
        throw new TransportError(
          `${this.#where} refused the command: ${frame.error}: ${frame.message}`,
        );
      }
      return await this.#readSingle(frame);
    }
  }

  async #readSingle(
    frame: Extract<ReplyFrame, { kind: "single" }>,
  ): Promise<Reply> {
    const body = await this.#whole(this.#frames.readBody(frame.total));
    if (frame.sha256 !== null) {
      const actual = createHash("sha256").update(body).digest("hex");
      if (actual !== frame.sha256) {
        this.broken = true;
        throw new TransportError(
          `The output from ${this.#where} does not match its sha256: it was corrupted`,
        );
      }
    }
    const split = frame.result.stdout_size;
    return {
      result: frame.result,
      stdout: body.subarray(0, split),
      stderr: body.subarray(split),
      streamed: false,
      sha256: frame.sha256,
    };
  }

  /** `reading`, with an early end of the body said as the transport's failure. */
  async #whole<T>(reading: Promise<T>): Promise<T> {
    try {
      return await reading;
    } catch (err) {
      if (!(err instanceof EarlyEof)) throw err;
      this.broken = true;
      throw new TransportError(
        `${this.#where} closed the connection after ${err.got} of ${err.wanted} bytes of output; the output is incomplete`,
      );
    }
  }

  #closedEarly(streaming: boolean): TransportError {
    this.broken = true;
    return new TransportError(
      streaming
        ? `${this.#where} closed the connection before the command's exit status; the output may be incomplete`
        : `${this.#where} closed the connection before sending a reply${this.#closeHint()}`,
    );
  }

  /** What a close before any reply most likely means, for the error line. */
  #closeHint(): string {
    const tls = this.#options.tls;
    if (tls?.clientCert) {
      return "; the server may not accept your client certificate (is it signed by the server's --tls-client-ca?)";
    }
    if (tls) {
      return "; if the server has --tls-client-ca, it wants a client certificate: give --tls-cert and --tls-key";
    }
    return this.#options.mode === "legacy"
      ? ""
      : "; if it is a seeds' server (a raw command, no frame), add --legacy";
  }

  /** The error a failed request ends with, the connection marked broken unless the server refused. */
  #failure(err: unknown, timedOut: boolean, waitMs: number): unknown {
    if (timedOut) {
      this.broken = true;
      return new TransportError(
        `No reply from ${this.#where} within ${formatSeconds(waitMs)}`,
      );
    }
    if (err instanceof FrameError) {
      this.broken = true;
      return new TransportError(
        looksLikeTls(this.#frames.input.view())
          ? `${this.#where} answered in TLS: ${SPEAKS_TLS_HINT}`
          : `Bad reply from ${this.#where}: ${err.message}`,
      );
    }
    if (err instanceof SockitError) return err;
    this.broken = true;
    return new TransportError(
      `Connection to ${this.#where} failed: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * Sends `stdin` as stdin frames until its end (then `stdin_end`), or until
 * `stop` aborts (the reply is complete; nothing more is sent). The next
 * read of stdin is under way while a frame is written; one read a frame,
 * so a line typed at a terminal goes at once.
 */
async function sendStdinFrames(
  frames: FrameConnection,
  stdin: ByteReader,
  stop: AbortSignal,
): Promise<void> {
  // Each buffer keeps room for the frame's header before the bytes read, so
  // a frame goes out as one write with no copy.
  const buffers = [
    new Uint8Array(HEADROOM_BYTES + MAX_CHUNK_BYTES),
    new Uint8Array(HEADROOM_BYTES + MAX_CHUNK_BYTES),
  ] as const;
  const read = (buffer: Uint8Array) =>
    stdin.read(buffer.subarray(HEADROOM_BYTES)).catch(() => null);
  let turn = 0;
  let next = read(buffers[0]);
  try {
    while (!stop.aborted) {
      const n = await next;
      if (stop.aborted) return;
      if (n === null) {
        await frames.write(STDIN_END);
        return;
      }
      const filled = buffers[turn]!;
      turn ^= 1;
      next = read(buffers[turn]!);
      await frames.writeBefore(
        chunkHeader("stdin", n),
        filled,
        HEADROOM_BYTES,
        HEADROOM_BYTES + n,
      );
    }
  } catch {
    // The connection ended: the reply's reader says why.
  }
}
