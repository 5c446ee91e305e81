/**
 * The exec server. One request goes: read (a frame, or the seeds' raw
 * command) -> decide (token, allow-list, limits; `policy.ts`) -> run (in
 * its own process group, within limits; `runner.ts`) -> reply (a header
 * frame and the output). Safe by default: loopback only unless a token is
 * set, bounded everywhere, and a command dies with its client.
 *
 * @module
 */

import type { Logger } from "../io/log.ts";
import { Deadline } from "../io/timers.ts";
import { MiB } from "../io/units.ts";
import {
  type AcceptedConn,
  type Acceptor,
  type ConnectionContext,
  serveConnections,
} from "../server/accept_loop.ts";
import type { NodeConn } from "../net/node_conn.ts";
import type { PeerRule } from "../net/cidr.ts";
import { FailureDelay } from "./auth.ts";
import { EarlyEof, FrameConnection } from "./connection.ts";
import { FrameError, MAX_HEADER_BYTES, PREFIX_BYTES } from "./frame.ts";
import { GroupReaper } from "./group_reaper.ts";
import { JobSlots } from "./job_slots.ts";
import { type RequestLife, runRequest } from "./lifecycle.ts";
import { readLegacyCommand, sniffRequest } from "./legacy.ts";
import { decide, type ExecPolicy } from "./policy.ts";
import {
  encodeErrorHeader,
  type ExecErrorCode,
  HELLO_REPLY,
  parseRequest,
  type RunRequest,
} from "./protocol.ts";
import { type ReplySink, SingleReply, StreamedReply } from "./reply_sink.ts";
import type { RunOutcome } from "./runner.ts";

/** The port exec listens on and its client connects to by default. */
export const EXEC_PORT = 8083;
/** Output kept per command by default (stdout and stderr together): 16 MiB. */
export const DEFAULT_MAX_OUTPUT = 16 * MiB;
/** Stdin a request may carry by default: 16 MiB. */
export const DEFAULT_MAX_STDIN = 16 * MiB;
/** Commands running at once by default, across all clients: 4. */
export const DEFAULT_MAX_CONCURRENT = 4;
/** Requests waiting for a slot by default: 64. */
export const DEFAULT_QUEUE = 64;
/** A request begun must arrive in full within this by default, in ms: 10 s. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/** Options of {@linkcode serveExec}. */
export interface ExecServerOptions extends Omit<ExecPolicy, "failures"> {
  /** Aborting stops accepting; running commands get the grace period. */
  signal: AbortSignal;
  /** Where requests and refusals are logged (never tokens). */
  logger: Logger;
  /** Bytes of output kept per command. @default {DEFAULT_MAX_OUTPUT} */
  maxOutput?: number;
  /** Bytes of stdin a request may carry. @default {DEFAULT_MAX_STDIN} */
  maxStdin?: number;
  /** Commands running at once. @default {DEFAULT_MAX_CONCURRENT} */
  maxConcurrent?: number;
  /** Requests waiting for a slot; past this, `busy`. @default {DEFAULT_QUEUE} */
  queue?: number;
  /** Connections open at once. @default {1024} */
  maxConns?: number;
  /** Close a connection idle between requests this long, in ms. @default {300000} */
  idleTimeoutMs?: number;
  /** A request (header and stdin) must arrive within this, in ms, once begun. @default {DEFAULT_HEADER_TIMEOUT_MS} */
  headerTimeoutMs?: number;
  /** Grace at shutdown, in ms. @default {5000} */
  graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** From SIGTERM to SIGKILL at a timeout, in ms. @default {2000} */
  killGraceMs?: number;
  /** Who may connect (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule;
}

/**
 * Serves exec requests on a bound listener until `options.signal` aborts.
 *
 * @example
 * ```ts ignore
 * import { serveExec } from "./server.ts";
 * import { TokenCheck } from "./auth.ts";
 * await serveExec(Deno.listen({ hostname: "127.0.0.1", port: 8083 }), {
 *   signal, logger, token: new TokenCheck(undefined),
 * });
 * ```
 */
export async function serveExec(
  listener: Acceptor<ExecConn>,
  options: ExecServerOptions,
): Promise<void> {
  await using reaper = GroupReaper.start();
  const state: ServerState = {
    options,
    policy: { ...options, failures: new FailureDelay() },
    slots: new JobSlots(
      options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
      options.queue ?? DEFAULT_QUEUE,
    ),
    maxStdin: options.maxStdin ?? DEFAULT_MAX_STDIN,
    reaper,
  };
  await serveConnections(
    listener,
    (conn, context) => handleConnection(conn, context, state),
    options,
  );
}

/** A connection exec serves: Deno's, or a `node:tls` one that checked a client certificate. */
type ExecConn = (Deno.Conn | NodeConn) & AcceptedConn;

interface ServerState {
  options: ExecServerOptions;
  policy: ExecPolicy;
  reaper: GroupReaper;
  slots: JobSlots;
  maxStdin: number;
}

/** A request as read off the connection, with its stdin body when it has one. */
type ReadRequest =
  | { kind: "run"; request: RunRequest; body: Uint8Array }
  | { kind: "hello" }
  | { kind: "bad"; message: string }
  | { kind: "gone" };

async function handleConnection(
  conn: ExecConn,
  context: ConnectionContext,
  state: ServerState,
): Promise<void> {
  const frames = new FrameConnection(conn, {
    maxBuffered: PREFIX_BYTES + MAX_HEADER_BYTES + state.maxStdin,
    onRead: context.received,
    onWrite: context.sent,
  });
  const refuse = async (code: ExecErrorCode, message: string) => {
    state.options.logger.warn("refused", {
      peer: context.peer,
      error: code,
      reason: message,
    });
    await frames.write(encodeErrorHeader(code, message));
  };
  let lastBeforeClose = false;
  for (let served = 0;; served++) {
    // Between requests, shutdown closes the connection; a request begun is answered in full,
    // and so is one already sent (a new connection's first may still be on its way: linger
    // 50 ms for it). One, not more: a client that keeps sending must not hold up the exit.
    if (lastBeforeClose) return;
    const first = await frames.input.waitForData(
      context.stopping,
      served === 0 ? 50 : 0,
    );
    if (first !== "ok") return;
    lastBeforeClose = context.stopping.aborted;
    const read = await readRequestWithin(frames, conn, state, context);
    if (read.kind === "gone") return;
    if (read.kind === "hello") {
      await frames.write(HELLO_REPLY);
      continue;
    }
    if (read.kind === "bad") {
      await refuse("bad_request", read.message);
      return; // The framing may be lost: close rather than guess where the next request starts.
    }
    const { request } = read;
    const address = context.peer.replace(/:\d+$/, "");
    const decision = await decide(
      request,
      address,
      state.policy,
      context.signal,
    );
    if (decision.kind === "refuse") {
      await refuse(decision.code, decision.message);
      if (decision.close) return;
      continue;
    }
    const sink: ReplySink = request.reply === "stream"
      ? new StreamedReply(frames, request.stdin === "frames")
      : new SingleReply(frames, read.body);
    const outcome = await runRequest({
      ...lifeOf(state, frames, context),
      plan: decision,
    }, sink);
    if (outcome === "gone") return;
    if (outcome === "busy") {
      await refuse(
        "busy",
        "The server is running as many commands as it may; try again later",
      );
      if (request.stdin === "frames") return; // Its stdin frames may be on their way.
      continue;
    }
    if (outcome.cancelled) {
      state.options.logger.warn("cancelled", {
        peer: context.peer,
        cmd: request.cmd,
        reason: "client went away",
      });
      return;
    }
    logResult(
      state.options.logger,
      context.peer,
      request.cmd,
      outcome,
      "certificateSubject" in conn ? conn.certificateSubject : undefined,
    );
    if (!sink.reusable) return; // Its stdin frames may still be coming.
  }
}

async function readRequestWithin(
  frames: FrameConnection,
  conn: ExecConn,
  state: ServerState,
  context: ConnectionContext,
): Promise<ReadRequest> {
  using deadline = new Deadline(
    state.options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    () => conn.close(),
  );
  try {
    const read = await readRequest(frames, state);
    if (deadline.expired) throw new Deno.errors.TimedOut();
    return read;
  } catch (err) {
    if (err instanceof FrameError) return { kind: "bad", message: err.message };
    if (deadline.expired) {
      state.options.logger.warn("header-timeout", { peer: context.peer });
      return { kind: "gone" };
    }
    throw err;
  }
}

async function readRequest(
  frames: FrameConnection,
  state: ServerState,
): Promise<ReadRequest> {
  const protocol = await sniffRequest(frames.input);
  if (protocol === "gone") return { kind: "gone" };
  if (protocol === "legacy") {
    const cmd = await readLegacyCommand(frames.input);
    return {
      kind: "run",
      request: {
        kind: "run",
        cmd,
        reply: "single",
        stdin: { size: 0 },
        legacy: true,
      },
      body: new Uint8Array(),
    };
  }
  const header = await frames.readHeader();
  if (header === null) return { kind: "gone" };
  const request = parseRequest(header, { maxStdin: state.maxStdin });
  if (request.kind === "hello") return request;
  try {
    const size = request.stdin === "frames" ? 0 : request.stdin.size;
    return { kind: "run", request, body: await frames.readBody(size) };
  } catch (err) {
    if (err instanceof EarlyEof) return { kind: "gone" };
    throw err;
  }
}

/** What every request's life on this connection shares. */
function lifeOf(
  state: ServerState,
  frames: FrameConnection,
  context: ConnectionContext,
): Omit<RequestLife, "plan"> {
  const { options } = state;
  return {
    frames,
    context,
    acquire: (signal) => state.slots.acquire(signal),
    limits: {
      maxOutput: options.maxOutput ?? DEFAULT_MAX_OUTPUT,
      ...(options.killGraceMs === undefined
        ? {}
        : { killGraceMs: options.killGraceMs }),
      reaper: state.reaper,
    },
  };
}

function logResult(
  logger: Logger,
  peer: string,
  cmd: string,
  outcome: RunOutcome,
  certificate: string | undefined,
): void {
  logger.info("exec", {
    peer,
    ...(certificate ? { client_cert: certificate } : {}),
    cmd: cmd.length > 200 ? cmd.slice(0, 200) + "…" : cmd,
    exit_code: outcome.exitCode,
    signal: outcome.signal,
    timed_out: outcome.timedOut,
    truncated: outcome.truncated,
    bytes: outcome.sizes.stdout + outcome.sizes.stderr,
    duration_ms: outcome.durationMs,
  });
}
