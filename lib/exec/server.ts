/**
 * The exec server: reads requests (framed, or the seeds' raw legacy
 * commands), checks the token and the allowlist, runs each command within
 * limits through {@linkcode runCommand}, and replies with a header frame and
 * the output. Safe by default: loopback only unless a token is set, bounded
 * everywhere, and a command dies with its client.
 *
 * @module
 */

import { BufferedConn } from "../io/buffered_reader.ts";
import { FailureDelay, type TokenCheck } from "./auth.ts";
import {
  type ExecErrorCode,
  type ExecRequest,
  parseExecRequest,
} from "./protocol.ts";
import { checkCommandText } from "./protocol.ts";
import {
  type CommandSpec,
  runCommand,
  type RunOutcome,
} from "./runner.ts";
import {
  couldBeText,
  decodeHeader,
  encodeHeader,
  FrameError,
  looksFramed,
  MAX_HEADER_BYTES,
  PREFIX_BYTES,
} from "./frame.ts";
import { GroupReaper } from "./group_reaper.ts";
import { JobSlots } from "./job_slots.ts";
import type { Logger } from "../io/log.ts";
import { ShellWordsError, splitWords } from "./shell_words.ts";
import { writeAll } from "../io/streams.ts";
import { type ConnectionContext, serveConnections } from "../net/accept_loop.ts";
import { Deadline, sleep } from "../io/timers.ts";
import { createHash } from "node:crypto";

/** A legacy request ends when no byte comes for this long, in ms. */
export const LEGACY_PAUSE_MS = 50;
/** The longest legacy (raw) command: 64 KiB. */
export const MAX_LEGACY_BYTES = 64 * 1024;

/** Options of {@linkcode serveExec}. */
export interface ExecServerOptions {
  /** Aborting stops accepting; running commands get the grace period. */
  signal: AbortSignal;
  /** Where requests and refusals are logged (never tokens). */
  logger: Logger;
  /** The token check; one that requires nothing accepts legacy requests. */
  token: TokenCheck;
  /** Programs allowed as a command's first word; absent = run through /bin/sh. */
  allow?: readonly string[];
  /** Time limit per command, in ms. @default {30000} */
  timeoutMs?: number;
  /** Bytes of output kept per command. @default {16 MiB} */
  maxOutput?: number;
  /** Bytes of stdin a request may carry. @default {16 MiB} */
  maxStdin?: number;
  /** Commands running at once. @default {4} */
  maxConcurrent?: number;
  /** Requests waiting for a slot; past this, `busy`. @default {64} */
  queue?: number;
  /** Connections open at once. @default {1024} */
  maxConns?: number;
  /** Close a connection idle between requests this long, in ms. @default {300000} */
  idleTimeoutMs?: number;
  /** A request (header and stdin) must arrive within this, in ms, once begun. @default {10000} */
  headerTimeoutMs?: number;
  /** Grace at shutdown, in ms. @default {5000} */
  graceMs?: number;
  /** Aborting ends the grace period at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** From SIGTERM to SIGKILL at a timeout, in ms. @default {2000} */
  killGraceMs?: number;
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
  listener: Deno.Listener,
  options: ExecServerOptions,
): Promise<void> {
  await using reaper = GroupReaper.start();
  const state: ServerState = {
    options,
    slots: new JobSlots(options.maxConcurrent ?? 4, options.queue ?? 64),
    failures: new FailureDelay(),
    maxStdin: options.maxStdin ?? 16 * 1024 * 1024,
    reaper,
  };
  await serveConnections(
    listener,
    (conn, context) => handleConnection(conn, context, state),
    options,
  );
}

interface ServerState {
  options: ExecServerOptions;
  reaper: GroupReaper;
  slots: JobSlots;
  failures: FailureDelay;
  maxStdin: number;
}

type ReadRequest =
  | {
    kind: "request";
    request: ExecRequest;
    stdin: Uint8Array;
    legacy: boolean;
  }
  | { kind: "bad"; message: string }
  | { kind: "gone" };

async function handleConnection(
  conn: Deno.Conn,
  context: ConnectionContext,
  state: ServerState,
): Promise<void> {
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true); // Request/response: no Nagle delay.
  const input = new BufferedConn(
    conn,
    PREFIX_BYTES + MAX_HEADER_BYTES + state.maxStdin,
    context.received,
  );
  const reply = (header: Record<string, unknown>, ...body: Uint8Array[]) =>
    writeReply(conn, context, header, body);
  let lastBeforeClose = false;
  for (let served = 0;; served++) {
    // Between requests, shutdown closes the connection; a request begun is answered in full,
    // and so is one already sent (a new connection's first may still be on its way: linger
    // 50 ms for it). One, not more: a client that keeps sending must not hold up the exit.
    if (lastBeforeClose) return;
    if (
      (await input.waitForData(context.stopping, served === 0 ? 50 : 0)) !==
        "ok"
    ) return;
    lastBeforeClose = context.stopping.aborted;
    const read = await readRequestWithin(input, conn, state, context);
    if (read.kind === "gone") return;
    if (read.kind === "bad") {
      state.options.logger.warn("refused", {
        peer: context.peer,
        error: "bad_request",
        reason: read.message,
      });
      await reply(errorHeader("bad_request", read.message));
      return; // The framing may be lost: close rather than guess where the next request starts.
    }
    const refusal = await checkRequest(read, context, state);
    if (refusal) {
      state.options.logger.warn("refused", {
        peer: context.peer,
        error: refusal.code,
        reason: refusal.message,
      });
      await reply(errorHeader(refusal.code, refusal.message));
      if (refusal.code === "unauthorized" && read.legacy) return;
      continue;
    }
    const outcome = await runWhileConnected(read, input, context, state);
    if (outcome === "gone") return;
    if (outcome === "busy") {
      state.options.logger.warn("refused", {
        peer: context.peer,
        error: "busy",
        reason: "queue full",
      });
      await reply(
        errorHeader(
          "busy",
          "The server is running as many commands as it may; try again later",
        ),
      );
      continue;
    }
    logResult(state.options.logger, context.peer, read.request.cmd, outcome);
    await reply(resultHeader(outcome), outcome.stdout, outcome.stderr);
  }
}

async function readRequestWithin(
  input: BufferedConn,
  conn: Deno.Conn,
  state: ServerState,
  context: ConnectionContext,
): Promise<ReadRequest> {
  using deadline = new Deadline(
    state.options.headerTimeoutMs ?? 10_000,
    () => conn.close(),
  );
  try {
    const read = await readRequest(input, state);
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
  input: BufferedConn,
  state: ServerState,
): Promise<ReadRequest> {
  let start = await input.fill(PREFIX_BYTES, LEGACY_PAUSE_MS);
  if (start === "pause" && !couldBeText(input.view())) {
    start = await input.fill(PREFIX_BYTES);
  }
  if (start === "eof") return { kind: "gone" };
  if (start === "ok" && looksFramed(input.view())) {
    return await readFramed(input, state);
  }
  return await readLegacy(input);
}

async function readFramed(
  input: BufferedConn,
  state: ServerState,
): Promise<ReadRequest> {
  let decoded = decodeHeader(input.view());
  while (decoded.kind === "incomplete") {
    if ((await input.fill(decoded.needed)) !== "ok") return { kind: "gone" };
    decoded = decodeHeader(input.view());
  }
  input.consume(decoded.size);
  const request = parseExecRequest(decoded.header, {
    maxStdin: state.maxStdin,
  });
  if ((await input.fill(request.stdinSize)) !== "ok") return { kind: "gone" };
  return {
    kind: "request",
    request,
    stdin: input.take(request.stdinSize),
    legacy: false,
  };
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

async function readLegacy(input: BufferedConn): Promise<ReadRequest> {
  while (input.length < MAX_LEGACY_BYTES) {
    const more = await input.fill(input.length + 1, LEGACY_PAUSE_MS);
    if (more !== "ok") break;
  }
  if (input.length > MAX_LEGACY_BYTES) {
    throw new FrameError(`A raw command is over ${MAX_LEGACY_BYTES} bytes`);
  }
  let cmd: string;
  try {
    cmd = strictDecoder.decode(input.take(input.length));
  } catch {
    throw new FrameError("The command is not valid UTF-8");
  }
  cmd = cmd.replace(/\r?\n$/, "");
  checkCommandText(cmd);
  return {
    kind: "request",
    request: { cmd, stdinSize: 0 },
    stdin: new Uint8Array(),
    legacy: true,
  };
}

async function checkRequest(
  read: Extract<ReadRequest, { kind: "request" }>,
  context: ConnectionContext,
  state: ServerState,
): Promise<{ code: ExecErrorCode; message: string } | null> {
  const { token } = state.options;
  const address = context.peer.replace(/:\d+$/, "");
  if (token.required) {
    if (read.legacy) {
      return {
        code: "unauthorized",
        message:
          "This server requires a token: raw (legacy) commands are refused",
      };
    }
    if (!token.accepts(read.request.token)) {
      await sleep(state.failures.recordFailure(address), context.signal);
      const what = read.request.token === undefined ? "missing" : "wrong";
      return { code: "unauthorized", message: `The token is ${what}` };
    }
    state.failures.recordSuccess(address);
  }
  if (state.options.allow) {
    const spec = allowedCommand(read.request.cmd, state.options.allow);
    if (typeof spec === "string") return { code: "not_allowed", message: spec };
  }
  return null;
}

/**
 * The command to run for `cmd` under an allowlist, or why it is not allowed.
 *
 * @example
 * ```ts
 * import { allowedCommand } from "./server.ts";
 * const spec = allowedCommand("ls -l", ["ls"]);
 * console.assert(typeof spec !== "string" && spec.program === "ls");
 * console.assert(typeof allowedCommand("ls; rm -rf /tmp/x", ["ls"]) === "string");
 * ```
 */
export function allowedCommand(
  cmd: string,
  allow: readonly string[],
): CommandSpec | string {
  let words: string[];
  try {
    words = splitWords(cmd);
  } catch (err) {
    if (err instanceof ShellWordsError) return err.message;
    throw err;
  }
  const [program, ...args] = words;
  if (program === undefined) return "The command is empty";
  if (!allow.includes(program)) {
    return `Program "${program}" is not on this server's --allow list`;
  }
  return { program, args };
}

async function runWhileConnected(
  read: Extract<ReadRequest, { kind: "request" }>,
  input: BufferedConn,
  context: ConnectionContext,
  state: ServerState,
): Promise<RunOutcome | "busy" | "gone"> {
  using _busy = context.hold();
  const gone = new AbortController();
  const stopWatching = new AbortController();
  const watching = input.watchForEof(stopWatching.signal).then((eof) =>
    eof && gone.abort()
  );
  const onForceClose = () => gone.abort();
  context.signal.addEventListener("abort", onForceClose, { once: true });
  try {
    const release = await state.slots.acquire(gone.signal);
    if (!release) return gone.signal.aborted ? "gone" : "busy";
    try {
      const { options } = state;
      const timeoutMs = Math.min(
        options.timeoutMs ?? 30_000,
        read.request.timeoutMs ?? Infinity,
      );
      const spec = options.allow
        ? allowedCommand(read.request.cmd, options.allow) as CommandSpec
        : { program: "/bin/sh", args: ["-c", read.request.cmd] };
      const outcome = await runCommand(spec, {
        stdin: read.stdin,
        timeoutMs,
        maxOutput: options.maxOutput ?? 16 * 1024 * 1024,
        signal: gone.signal,
        killGraceMs: options.killGraceMs ?? 2000,
        reaper: state.reaper,
      });
      if (outcome.cancelled) {
        state.options.logger.warn("cancelled", {
          peer: context.peer,
          cmd: read.request.cmd,
          reason: "client went away",
        });
        return "gone";
      }
      return outcome;
    } finally {
      release();
    }
  } finally {
    stopWatching.abort();
    await watching;
    context.signal.removeEventListener("abort", onForceClose);
  }
}

function errorHeader(
  code: ExecErrorCode,
  message: string,
): Record<string, unknown> {
  return { error: code, message, total_size: 0 };
}

function resultHeader(outcome: RunOutcome): Record<string, unknown> {
  const hash = createHash("sha256").update(outcome.stdout).update(
    outcome.stderr,
  ).digest("hex");
  return {
    total_size: outcome.stdout_size + outcome.stderr_size,
    stdout_size: outcome.stdout_size,
    stderr_size: outcome.stderr_size,
    exit_code: outcome.exit_code,
    signal: outcome.signal,
    timed_out: outcome.timed_out,
    truncated: outcome.truncated,
    duration_ms: outcome.duration_ms,
    sha256: hash,
  };
}

async function writeReply(
  conn: Deno.Conn,
  context: ConnectionContext,
  header: Record<string, unknown>,
  body: Uint8Array[],
): Promise<void> {
  const parts = [encodeHeader(header), ...body];
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  if (total <= COALESCE_REPLY_BYTES) {
    // One write, one TLS record: no Nagle wait on a TLS conn (no NODELAY there).
    const whole = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    await writeAll(conn, whole, context.sent);
    return;
  }
  for (const part of parts) await writeAll(conn, part, context.sent);
}

/** Replies up to this size are sent in one write: 64 KiB. */
const COALESCE_REPLY_BYTES = 64 * 1024;

function logResult(
  logger: Logger,
  peer: string,
  cmd: string,
  outcome: RunOutcome,
): void {
  logger.info("exec", {
    peer,
    cmd: cmd.length > 200 ? cmd.slice(0, 200) + "…" : cmd,
    exit_code: outcome.exit_code,
    signal: outcome.signal,
    timed_out: outcome.timed_out,
    truncated: outcome.truncated,
    bytes: outcome.stdout_size + outcome.stderr_size,
    duration_ms: outcome.duration_ms,
  });
}
