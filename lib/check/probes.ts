/**
 * One try of one check against a real socket: connect (TCP, unix, TLS),
 * send, and read until the expectation is decided, the peer closes, the
 * time limit or the byte cap; or a datagram and its reply (resent while
 * none comes); or a command through exec's own client reader. The result
 * says pass or fail, how long it took, and on failure what was expected
 * against what came.
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import { closeQuietly, writeAll } from "../io/streams.ts";
import { Deadline } from "../io/timers.ts";
import { type Endpoint, parseAddress } from "../net/address.ts";
import { openStream } from "../net/connect.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import type { StreamConn } from "../net/stream_conn.ts";
import { type ClientTls, loadCaCerts, parsePin } from "../net/tls.ts";
import { connectNodeTls } from "../net/tls_connect.ts";
import type { NodeConn } from "../net/node_conn.ts";
import { openDatagramClient } from "../net/udp_socket.ts";
import { clientExitCode } from "../exec/result.ts";
import { ExecSession } from "../exec/session.ts";
import { quoteWord } from "../exec/shell_words.ts";
import { judge, type Verdict } from "./expect.ts";
import type { CheckSpec } from "./plan.ts";
import { showBytes } from "./values.ts";

/** How one try went. */
export interface TryResult {
  pass: boolean;
  /** From the start of the try to its decision, in ms. */
  ms: number;
  /** On failure: what was expected. */
  expected?: string;
  /** On failure: what came instead. */
  got?: string;
}

/** A check with its variables filled in and its payload read. */
export interface ReadyCheck {
  spec: CheckSpec;
  /** The address, variables filled in. */
  address: string;
  /** The bytes to send, if any. */
  send?: Uint8Array;
  /** The exec token, read from its source. */
  token?: string;
}

/**
 * Runs one try of `check`; never throws for what the peer does.
 *
 * @example
 * ```ts ignore
 * import { tryCheck } from "./probes.ts";
 * const result = await tryCheck(ready, signal);
 * ```
 */
export async function tryCheck(
  check: ReadyCheck,
  signal: AbortSignal,
): Promise<TryResult> {
  const started = performance.now();
  const done = (verdict: Verdict | { kind: "pass" }): TryResult => {
    const ms = performance.now() - started;
    if (verdict.kind === "fail") {
      return { pass: false, ms, expected: verdict.expected, got: verdict.got };
    }
    const within = check.spec.expect.kind === "reply"
      ? check.spec.expect.withinMs
      : undefined;
    if (within !== undefined && ms > within) {
      return {
        pass: false,
        ms,
        expected: `a decision within ${within} ms`,
        got: `${Math.round(ms)} ms`,
      };
    }
    return { pass: true, ms };
  };
  try {
    switch (check.spec.kind) {
      case "udp":
        return done(await datagramTry(check, signal));
      case "exec":
        return done(await execTry(check));
      default:
        return done(await streamTry(check, signal));
    }
  } catch (err) {
    return done({
      kind: "fail",
      expected: expectedOutcome(check.spec),
      got: errorMessage(err),
    });
  }
}

function expectedOutcome(spec: CheckSpec): string {
  return spec.expect.kind === "outcome"
    ? `the connection ${spec.expect.outcome}`
    : "a reply";
}

function endpointOf(check: ReadyCheck): Endpoint {
  const { kind } = check.spec;
  if (kind === "unix") {
    return {
      transport: "unix",
      path: check.address.replace(/^unix:/, ""),
    };
  }
  return parseAddress(check.address, {
    bare: kind === "udp" ? "udp" : "tcp",
    schemes: kind === "udp" ? ["udp"] : ["tcp"],
  });
}

async function clientTls(spec: CheckSpec): Promise<ClientTls> {
  const tls: ClientTls = {};
  if (spec.tls.ca) tls.caCerts = await loadCaCerts(spec.tls.ca, "tls_ca");
  if (spec.tls.pin) tls.pin = parsePin(spec.tls.pin);
  if (spec.tls.insecure) tls.insecure = true;
  return tls;
}

async function connect(check: ReadyCheck): Promise<StreamConn> {
  const endpoint = endpointOf(check);
  const timeoutMs = check.spec.timeoutMs;
  if (check.spec.kind !== "tls") {
    return await openStream(endpoint, { timeoutMs });
  }
  if (endpoint.transport !== "tcp") throw new TypeError("TLS needs TCP");
  return await connectNodeTls(endpoint, await clientTls(check.spec), timeoutMs);
}

function refusal(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionRefused ||
    (err as { cause?: unknown })?.cause instanceof
      Deno.errors.ConnectionRefused ||
    /refused/i.test(errorMessage(err));
}

async function streamTry(
  check: ReadyCheck,
  signal: AbortSignal,
): Promise<Verdict> {
  const { expect } = check.spec;
  let conn: StreamConn;
  try {
    conn = await connect(check);
  } catch (err) {
    if (
      expect.kind === "outcome" && expect.outcome === "refused" && refusal(err)
    ) {
      return { kind: "pass" };
    }
    return {
      kind: "fail",
      expected: expectedOutcome(check.spec),
      got: errorMessage(err),
    };
  }
  using _closing = { [Symbol.dispose]: () => closeQuietly(conn) };
  if (expect.kind === "outcome" && expect.outcome === "refused") {
    return {
      kind: "fail",
      expected: "the connection refused",
      got: "it was accepted",
    };
  }
  if (expect.kind === "reply" && expect.cert) {
    const verdict = judgeCertificate(conn as NodeConn, expect.cert);
    if (verdict.kind === "fail") return verdict;
  }
  // One time limit from here on, sending included: a peer that never reads
  // cannot hold a check past it.
  using deadline = new Deadline(check.spec.timeoutMs, () => closeQuietly(conn));
  if (check.send) {
    try {
      await writeAll(conn, check.send);
    } catch (err) {
      if (!deadline.expired) throw err;
      return {
        kind: "fail",
        expected: expectedOutcome(check.spec),
        got:
          `the peer did not take what was sent within ${check.spec.timeoutMs} ms`,
      };
    }
  }
  if (expect.kind === "outcome" && expect.outcome === "open") {
    return { kind: "pass" };
  }
  return await readReply(conn, check, signal, deadline);
}

/** Reads until the expectation is decided, the peer closes, the time limit or the byte cap. */
async function readReply(
  conn: StreamConn,
  check: ReadyCheck,
  signal: AbortSignal,
  deadline: Deadline,
): Promise<Verdict> {
  const { expect, timeoutMs, maxBytes } = check.spec;
  const stop = () => closeQuietly(conn);
  signal.addEventListener("abort", stop, { once: true });
  // Everything so far, in one buffer that doubles as it fills (up to the cap):
  // each read is judged with the whole reply, never copied again.
  let data = new Uint8Array(4096);
  let got = 0;
  let ended = maxBytes === 0; // max_bytes: 0 reads nothing at all.
  let capped = ended;
  const buffer = new Uint8Array(64 * 1024);
  const soFar = () => data.subarray(0, got);
  try {
    while (true) {
      const verdict = decide(expect, soFar(), ended);
      if (verdict.kind === "fail" && capped) {
        return {
          ...verdict,
          got:
            `${verdict.got} (read stopped at the ${maxBytes}-byte cap: max_bytes)`,
        };
      }
      if (verdict.kind === "fail") return verdict;
      if (verdict.kind === "pass" && (!needsEnd(expect) || ended)) {
        return verdict;
      }
      if (ended) return verdict; // Undecided at the end: judged as ended.
      let n: number | null;
      try {
        // Never past the byte cap: what is kept is bounded exactly.
        n = await conn.read(
          buffer.subarray(0, Math.min(buffer.length, maxBytes - got)),
        );
      } catch (err) {
        if (!deadline.expired && !signal.aborted) throw err;
        n = null;
      }
      if (n === null) {
        ended = true;
        if (deadline.expired) {
          const last = decide(expect, soFar(), true);
          if (last.kind === "fail" || needsEnd(expect)) {
            return {
              kind: "fail",
              expected: last.kind === "fail"
                ? last.expected
                : "the server to close the connection",
              got: `${
                last.kind === "fail" ? last.got : showBytes(soFar())
              } (no decision within ${timeoutMs} ms)`,
            };
          }
          return last;
        }
        continue;
      }
      if (got + n > data.length) {
        const grown = new Uint8Array(
          Math.min(Math.max(data.length * 2, got + n), maxBytes),
        );
        grown.set(soFar());
        data = grown;
      }
      data.set(buffer.subarray(0, n), got);
      got += n;
      if (got >= maxBytes) ended = capped = true; // The byte cap: judge what came.
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function needsEnd(expect: CheckSpec["expect"]): boolean {
  return expect.kind === "outcome" ||
    (expect.kind === "reply" && expect.closes);
}

/** The expectation on the bytes so far. */
function decide(
  expect: CheckSpec["expect"],
  bytes: Uint8Array,
  ended: boolean,
): Verdict {
  if (expect.kind === "outcome") {
    // closed: the peer closes without a byte.
    if (bytes.length > 0) {
      return {
        kind: "fail",
        expected: "the connection closed with no reply",
        got: showBytes(bytes),
      };
    }
    return ended ? { kind: "pass" } : { kind: "undecided" };
  }
  return judge(expect.matchers, bytes, ended);
}

function judgeCertificate(
  conn: NodeConn,
  cert: NonNullable<Extract<CheckSpec["expect"], { kind: "reply" }>["cert"]>,
): Verdict {
  const peer = conn.peerCertificate;
  if (!peer) {
    return { kind: "fail", expected: "a certificate", got: "none" };
  }
  if (cert.validForMs !== undefined) {
    const left = peer.validTo.getTime() - Date.now();
    if (left < cert.validForMs) {
      return {
        kind: "fail",
        expected: `a certificate valid ${
          Math.round(cert.validForMs / 86_400_000)
        } days more`,
        got: `${
          Math.floor(left / 86_400_000)
        } days left (valid to ${peer.validTo.toISOString()})`,
      };
    }
  }
  if (cert.subject && !cert.subject.test(peer.subject)) {
    return {
      kind: "fail",
      expected: `a subject matching /${cert.subject.source}/`,
      got: peer.subject,
    };
  }
  for (const name of cert.names ?? []) {
    if (!peer.names.includes(name)) {
      return {
        kind: "fail",
        expected: `a certificate for ${name}`,
        got: `names ${peer.names.join(", ") || "none"}`,
      };
    }
  }
  return { kind: "pass" };
}

async function datagramTry(
  check: ReadyCheck,
  signal: AbortSignal,
): Promise<Verdict> {
  const { expect, timeoutMs } = check.spec;
  await using client = await openDatagramClient(endpointOf(check));
  const inbox = new DatagramInbox(client.socket);
  using deadline = new Deadline(timeoutMs);
  const payload = check.send ?? new Uint8Array();
  // Resent four times within the time limit while no reply comes: a lost
  // datagram costs a quarter of it, not the check.
  const resendMs = Math.max(50, timeoutMs / 4);
  try {
    while (!deadline.expired && !signal.aborted) {
      try {
        await client.socket.send(payload, client.server);
        const reply = await inbox.nextFrom(
          client.server,
          new Deadline(Math.min(resendMs, deadline.remainingMs)),
        );
        if (reply === null) continue;
        if (expect.kind === "outcome") {
          return expect.outcome === "open" ? { kind: "pass" } : {
            kind: "fail",
            expected: `the port ${expect.outcome}`,
            got: showBytes(reply.data),
          };
        }
        return judge(expect.matchers, reply.data, true);
      } catch (err) {
        if (refusal(err)) {
          return expect.kind === "outcome" && expect.outcome === "refused"
            ? { kind: "pass" }
            : {
              kind: "fail",
              expected: expectedOutcome(check.spec),
              got: "port unreachable (refused)",
            };
        }
        throw err;
      }
    }
  } finally {
    client.socket.close();
    await inbox.closed().catch(() => {});
  }
  return {
    kind: "fail",
    expected: expect.kind === "outcome"
      ? `the port ${expect.outcome}`
      : "a reply datagram",
    got: `nothing within ${timeoutMs} ms`,
  };
}

async function execTry(check: ReadyCheck): Promise<Verdict> {
  const { spec } = check;
  const exec = spec.exec!;
  const endpoint = endpointOf(check);
  const tls = spec.tls.ca || spec.tls.pin || spec.tls.insecure
    ? await clientTls(spec)
    : undefined;
  let conn: StreamConn;
  try {
    conn = await openStream(endpoint, { timeoutMs: spec.timeoutMs, tls });
  } catch (err) {
    if (
      spec.expect.kind === "outcome" && spec.expect.outcome === "refused" &&
      refusal(err)
    ) {
      return { kind: "pass" };
    }
    throw err;
  }
  using _closing = { [Symbol.dispose]: () => closeQuietly(conn) };
  const session = new ExecSession(conn, {
    endpoint,
    mode: exec.mode,
    timeoutMs: spec.timeoutMs,
    maxOutput: spec.maxBytes,
    ...(tls ? { tls } : {}),
    ...(check.token === undefined ? {} : { token: check.token }),
  });
  const command = exec.cmd.length === 1
    ? exec.cmd[0]!
    : exec.cmd.map(quoteWord).join(" ");
  const reply = await session.run(command);
  const { expect } = spec;
  if (expect.kind !== "reply") return { kind: "pass" };
  const code = clientExitCode(reply.result);
  const exit = expect.exit;
  if (exit?.code !== undefined && code !== exit.code) {
    return {
      kind: "fail",
      expected: `exit code ${exit.code}`,
      got: `exit code ${code}; stderr ${showBytes(reply.stderr)}`,
    };
  }
  const streams = [
    ["stdout", [...expect.matchers, ...(exit?.stdout ?? [])]],
    ["stderr", exit?.stderr ?? []],
  ] as const;
  for (const [name, matchers] of streams) {
    const bytes = name === "stdout" ? reply.stdout : reply.stderr;
    const verdict = judge(matchers, bytes, true);
    if (verdict.kind === "fail") {
      return { ...verdict, expected: `${name} ${verdict.expected}` };
    }
  }
  return { kind: "pass" };
}
