/**
 * The exec client: sends a command (framed with a token, or raw to a legacy
 * server), reads exactly the reply's `total_size` bytes, checks the size
 * fields and the SHA-256 before trusting them, and reports like ssh: remote
 * stdout to stdout, remote stderr to stderr, the remote exit code as its own.
 *
 * @module
 */

import type { Tracer } from "../net/trace.ts";
import { createHash } from "node:crypto";
import { type ClientIo, runPrompt, warn } from "../cli/client_io.ts";
import { SockitError } from "../cli/errors.ts";
import { type ByteReader, writeAll } from "../io/streams.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatEndpoint } from "../net/address.ts";
import { closeWriteQuietly, openStream } from "../net/connect.ts";
import type { StreamConn } from "../net/stream_conn.ts";
import { type ClientTls, looksLikeTls, SPEAKS_TLS_HINT } from "../net/tls.ts";
import { EarlyEof, FrameConnection } from "./connection.ts";
import { FrameError } from "./frame.ts";
import {
  encodeRequestHeader,
  type ExecResponse,
  type ExecResult,
  parseExecResponse,
} from "./protocol.ts";
import { type Reply, report } from "./reply.ts";
import {
  type ChunkSink,
  outputSink,
  readStreamedReply,
  sendStdinFrames,
} from "./stream_client.ts";
import { HELLO_REQUEST, streamsAccordingTo } from "./stream_protocol.ts";

/** The client's exit code when the server cannot be reached, refuses, or breaks the protocol: 255, as ssh. */
export const EXIT_TRANSPORT = 255;

/**
 * A failure of the connection or the protocol, not of the remote command:
 * exit {@linkcode EXIT_TRANSPORT}, so CI can tell which side failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransportError } from "./client.ts";
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

/** How long past its time limit the client waits for a reply: the server's SIGKILL grace and more. */
export const REPLY_GRACE_MS = 5000;

/** Options of {@linkcode runExecClient}. */
export interface ExecClientOptions {
  /** The server. */
  endpoint: Endpoint;
  /** Connect over TLS, checking the server this way. */
  tls?: ClientTls;
  /** The command to run; absent = prompt for commands. */
  command?: string;
  /** The shared token, if any. */
  token?: string;
  /** Bounds the connect; sent as `timeout_ms`; the reply may take this plus 5 s. */
  timeoutMs: number;
  /** Stdin to send as the command's stdin (`--stdin`): whole, or streamed. */
  stdin?: Uint8Array | StreamedStdin;
  /** Ask for a streamed reply (the server falls back to one reply if it cannot). @default {false} */
  stream?: boolean;
  /** Print one JSON object instead of the raw output. @default {false} */
  json?: boolean;
  /** Speak the seeds' protocol: the raw command, no frame, no token. @default {false} */
  legacy?: boolean;
  /** The largest body accepted from the server. */
  maxOutput: number;
  /** Trace each read and write (`--trace`). */
  tracer?: Tracer | undefined;
}

/**
 * Runs the exec client; resolves to the remote exit code (124 for a
 * timeout, 128 + N for signal N). A server that cannot be reached, refuses
 * the command or breaks the protocol throws a {@linkcode TransportError}
 * (exit 255, as ssh). At the `cmd>> ` prompt a command that exits non-zero
 * shows its status, `[exit N]`.
 *
 * @example
 * ```ts ignore
 * import { runExecClient } from "./client.ts";
 * import { processIo } from "../cli/client_io.ts";
 * const code = await runExecClient({ endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 8083 },
 *   command: "uname -a", timeoutMs: 30_000, maxOutput: 64 << 20 }, processIo());
 * ```
 */
export async function runExecClient(
  options: ExecClientOptions,
  io: ClientIo,
): Promise<number> {
  using conn = await openStream(options.endpoint, options).catch((err) => {
    throw err instanceof SockitError && !(err instanceof TransportError)
      ? new TransportError(err.message, { cause: err })
      : err;
  });
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  const session = new ExecSession(conn, options);
  if (options.command !== undefined) {
    const reply = await runOne(session, options.command, options, io);
    if (reply === "no-stream") {
      // The server does not stream (it refused the hello and closed): once
      // more, on a new connection, with stdin read whole.
      const { stream: _, ...single } = options;
      const stdin = options.stdin as StreamedStdin;
      return await runExecClient(
        { ...single, stdin: await stdin.readAll() },
        io,
      );
    }
    await closeWriteQuietly(conn);
    return await report(reply, options, io);
  }
  let last = 0;
  await runPrompt(io, io.stdinIsTerminal ? "cmd>> " : "", async (line) => {
    try {
      last = await report(await session.run(line, undefined), options, io);
      if (last !== 0 && io.stdinIsTerminal) {
        await writeAll(io.stderr, new TextEncoder().encode(`[exit ${last}]\n`));
      }
    } catch (err) {
      if (!(err instanceof TransportError) || session.broken) throw err;
      await warn(io, err.message);
      last = err.exitCode;
    }
  });
  if (!session.broken) await closeWriteQuietly(conn);
  return last;
}

/** Stdin to stream, and how to read it whole for a server that does not stream. */
export interface StreamedStdin {
  /** Read as the command runs. */
  reader: ByteReader;
  /** Reads it all (bounded), for a single request instead. */
  readAll(): Promise<Uint8Array>;
}

/** One command: streamed when asked (after a hello when stdin streams), else one reply. */
async function runOne(
  session: ExecSession,
  command: string,
  options: ExecClientOptions,
  io: ClientIo,
): Promise<Reply | "no-stream"> {
  const { stdin } = options;
  if (!options.stream || options.legacy) {
    return await session.run(command, stdin as Uint8Array | undefined);
  }
  const streamedStdin = stdin !== undefined && !(stdin instanceof Uint8Array);
  if (streamedStdin && !(await session.hello())) return "no-stream";
  return await session.run(
    command,
    streamedStdin ? undefined : stdin,
    {
      sink: outputSink(io, options.json ?? false),
      ...(streamedStdin ? { stdin: stdin.reader } : {}),
    },
  );
}

/** How a request streams: where the chunks go, and stdin to send as it is read. */
export interface Streaming {
  /** Takes each chunk of output as it arrives. */
  sink: ChunkSink;
  /** Stdin to stream. */
  stdin?: ByteReader;
}

/**
 * Requests over one connection, one at a time: send a frame, read and check
 * the reply. `broken` says whether the connection can take another.
 *
 * @example
 * ```ts ignore
 * import { ExecSession } from "./client.ts";
 * const options = { endpoint: { transport: "tcp" as const, hostname: "127.0.0.1", port: 8083 }, timeoutMs: 5000, maxOutput: 1 << 20 };
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 8083 });
 * const reply = await new ExecSession(conn, options).run("true", undefined);
 * ```
 */
export class ExecSession {
  readonly #conn: StreamConn;
  readonly #options: ExecClientOptions;
  readonly #frames: FrameConnection;
  readonly #where: string;
  /** Whether the connection is no longer usable for another request. */
  broken = false;

  /** Speaks on `conn` to `options.endpoint`, within `options`' limits. */
  constructor(conn: StreamConn, options: ExecClientOptions) {
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
   * `SockitError`. With `streaming`, the output goes to its sink as it
   * arrives (the reply then holds only the result).
   */
  async run(
    command: string,
    stdin: Uint8Array | undefined,
    streaming?: Streaming,
  ): Promise<Reply> {
    const waitMs = this.#options.timeoutMs + REPLY_GRACE_MS;
    using deadline = new Deadline(waitMs, () => this.#conn.close());
    const stopStdin = new AbortController();
    try {
      await this.#send(command, stdin ?? new Uint8Array(), streaming);
      if (streaming?.stdin) {
        void sendStdinFrames(this.#frames, streaming.stdin, stopStdin.signal);
      }
      const response = await this.#readResponse(streaming);
      if (response.kind === "streamed") {
        const empty = new Uint8Array();
        return {
          response: {
            kind: "result",
            total_size: 0,
            sha256: null,
            ...response.result,
          },
          stdout: empty,
          stderr: empty,
          streamed: true,
        };
      }
      if (response.kind === "error") {
        throw new TransportError(
          `${this.#where} refused the command: ${response.error}: ${response.message}`,
        );
      }
      return await this.#readBody(response);
    } catch (err) {
      if (deadline.expired) {
        this.broken = true;
        throw new TransportError(
          `No reply from ${this.#where} within ${formatSeconds(waitMs)}`,
        );
      }
      if (err instanceof FrameError) {
        this.broken = true;
        throw new TransportError(
          looksLikeTls(this.#frames.input.view())
            ? `${this.#where} answered in TLS: ${SPEAKS_TLS_HINT}`
            : `Bad reply from ${this.#where}: ${err.message}`,
        );
      }
      if (err instanceof SockitError) throw err;
      this.broken = true;
      throw new TransportError(
        `Connection to ${this.#where} failed: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      stopStdin.abort(); // A stdin read may still wait (a terminal): it sends nothing more.
    }
  }

  async #send(
    command: string,
    stdin: Uint8Array,
    streaming: Streaming | undefined,
  ): Promise<void> {
    if (this.#options.legacy) {
      await this.#frames.writeRaw(new TextEncoder().encode(command));
      return;
    }
    const header = encodeRequestHeader({
      cmd: command,
      timeoutMs: this.#options.timeoutMs,
      stdinSize: stdin.length,
      ...(this.#options.token === undefined
        ? {}
        : { token: this.#options.token }),
      ...(streaming ? { stream: true } : {}),
      ...(streaming?.stdin ? { stdinStream: true } : {}),
    });
    await this.#frames.write(header, stdin);
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
    return this.#options.legacy
      ? ""
      : "; if it is a seeds' server (a raw command, no frame), add --legacy";
  }

  async #readResponse(
    streaming?: Streaming,
  ): Promise<ExecResponse | { kind: "streamed"; result: ExecResult }> {
    const header = await this.#frames.readHeader();
    if (header === null) {
      this.broken = true;
      throw new TransportError(
        `${this.#where} closed the connection before sending a reply${this.#closeHint()}`,
      );
    }
    if (streaming) {
      const result = await readStreamedReply(
        this.#frames,
        header,
        streaming.sink,
      );
      if (result === "closed") {
        this.broken = true;
        throw new TransportError(
          `${this.#where} closed the connection before the command's exit status; the output may be incomplete`,
        );
      }
      if (result !== "single") return { kind: "streamed", result };
    }
    return parseExecResponse(header, this.#options.maxOutput);
  }

  async #readBody(
    response: Extract<ExecResponse, { kind: "result" }>,
  ): Promise<Reply> {
    let body: Uint8Array;
    try {
      body = await this.#frames.readBody(response.total_size);
    } catch (err) {
      if (!(err instanceof EarlyEof)) throw err;
      this.broken = true;
      throw new TransportError(
        `${this.#where} closed the connection after ${err.got} of ${err.wanted} bytes of output; the output is incomplete`,
      );
    }
    if (response.sha256 !== null) {
      const actual = createHash("sha256").update(body).digest("hex");
      if (actual !== response.sha256) {
        this.broken = true;
        throw new TransportError(
          `The output from ${this.#where} does not match its sha256: it was corrupted`,
        );
      }
    }
    return {
      response,
      stdout: body.subarray(0, response.stdout_size),
      stderr: body.subarray(response.stdout_size),
    };
  }
}
