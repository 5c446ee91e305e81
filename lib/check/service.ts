/**
 * A service a plan starts before its checks: its own process group (so
 * stopping it reaches everything it started), its output kept in a file
 * (bounded), ready when its line appears (capturing the port) or its
 * address answers, within its time limit; stopped with SIGTERM, a grace,
 * then SIGKILL to the group, whatever happened.
 *
 * @module
 */

import { formatSeconds, MiB } from "../io/units.ts";
import { Deadline, settlesWithin, sleep, whenAborted } from "../io/timers.ts";
import { errorMessage } from "../io/errors.ts";
import { openStream } from "../net/connect.ts";
import { parseAddress } from "../net/address.ts";
import { ProcessGroup, SETSID } from "../exec/process_group.ts";
import type { ServiceSpec } from "./plan.ts";

/** Output kept of one service, in its log file: 16 MiB (the rest is counted). */
export const MAX_SERVICE_LOG_BYTES = 16 * MiB;
/** The longest line the ready pattern is tried on: 64 KiB. */
export const MAX_READY_LINE_BYTES = 64 * 1024;
/** From SIGTERM to SIGKILL when a service stops: 3 s. */
export const SERVICE_STOP_GRACE_MS = 3000;
/** Between two probes of a ready address: 100 ms. */
const ADDRESS_PROBE_MS = 100;

/** Why a service did not start. */
export class ServiceFailed extends Error {
  override name = "ServiceFailed";
}

/**
 * A started service. Dispose of it (`await using`) to stop it.
 *
 * @example
 * ```ts ignore
 * import { Service } from "./service.ts";
 * await using echo = await Service.start(spec, { argv, logDir, fill });
 * await echo.ready;
 * ```
 */
export class Service implements AsyncDisposable {
  /** The port its ready line captured, or its ready address's port. */
  port: number | undefined;
  #dropped = 0;
  #kept = 0;
  #exit: Deno.CommandStatus | undefined;

  private constructor(
    readonly spec: ServiceSpec,
    readonly logPath: string,
    readonly child: Deno.ChildProcess,
    readonly group: ProcessGroup,
    readonly log: Deno.FsFile,
  ) {
    child.status.then((status) => this.#exit = status);
  }

  /**
   * Starts `spec` with `argv` (variables filled in, `sockit` resolved),
   * its output going to `logDir/NAME.log`.
   */
  static async start(
    spec: ServiceSpec,
    argv: string[],
    logDir: string,
  ): Promise<Service> {
    const logPath = `${logDir}/${spec.name}.log`;
    const log = await Deno.open(logPath, {
      write: true,
      create: true,
      truncate: true,
    });
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(SETSID ?? argv[0]!, {
        args: SETSID ? ["--", ...argv] : argv.slice(1),
        detached: SETSID === undefined,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: spec.env,
      }).spawn();
    } catch (err) {
      log.close();
      throw new ServiceFailed(
        `service "${spec.name}" could not start ${argv[0]}: ${
          errorMessage(err)
        }`,
      );
    }
    const group = new ProcessGroup(
      child.pid,
      SERVICE_STOP_GRACE_MS,
      child.status,
    );
    return new Service(spec, logPath, child, group, log);
  }

  /**
   * Resolves once the service is ready; rejects with a
   * {@linkcode ServiceFailed} when it exits first or its time runs out.
   * Keeps its output going to the log file until it stops.
   */
  async waitReady(): Promise<void> {
    const { spec } = this;
    using deadline = new Deadline(spec.readyTimeoutMs);
    let onLine: ((line: string) => void) | undefined;
    const sawLine = new Promise<void>((resolve) => {
      onLine = (line) => {
        if (spec.ready.kind !== "line") return;
        const match = line.match(spec.ready.pattern);
        if (!match) return;
        // Its (?<port>...) or first group; else the line's last :PORT ([::1]:4000 too).
        const port = match.groups?.port ?? match[1] ??
          [...line.matchAll(/:(\d+)\b/g)].at(-1)?.[1];
        if (port !== undefined && /^\d+$/.test(port)) this.port = Number(port);
        onLine = undefined;
        resolve();
      };
    });
    this.#pumping = Promise.all([
      this.#pump(this.child.stdout, (line) => onLine?.(line)),
      this.#pump(this.child.stderr, (line) => onLine?.(line)),
    ]).then(() => {}, () => {});
    // The address probe stops with the wait, however the wait ends.
    using stopProbing = new DisposableStack();
    const probing = new AbortController();
    stopProbing.defer(() => probing.abort());
    const ready = spec.ready.kind === "line" ? sawLine : this.#probe(
      spec.ready.address,
      AbortSignal.any([deadline.signal, probing.signal]),
    );
    const exited = this.child.status.then((status) => status);
    using timedOut = whenAborted(deadline.signal);
    const first = await Promise.race([
      ready.then(() => "ready" as const),
      exited,
      timedOut.promise.then(() => "timeout" as const),
    ]);
    if (first === "ready") return;
    const why = first === "timeout"
      ? `was not ready within ${formatSeconds(spec.readyTimeoutMs)} (${
        spec.ready.kind === "line"
          ? `no line matched /${spec.ready.pattern.source}/`
          : `${spec.ready.address} did not answer`
      })`
      : `exited with ${
        first.signal ?? `code ${first.code}`
      } before it was ready`;
    throw new ServiceFailed(`service "${spec.name}" ${why}`);
  }

  #pumping: Promise<void> = Promise.resolve();

  /** Copies one pipe to the log (bounded), handing each line to `onLine`. */
  async #pump(
    stream: ReadableStream<Uint8Array>,
    onLine: (line: string) => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      const room = MAX_SERVICE_LOG_BYTES - this.#kept;
      const kept = chunk.subarray(0, Math.max(0, room));
      this.#kept += kept.length;
      this.#dropped += chunk.length - kept.length;
      if (kept.length > 0) await this.log.write(kept).catch(() => 0);
      partial += decoder.decode(chunk, { stream: true });
      const lines = partial.split("\n");
      partial = lines.pop()!.slice(-MAX_READY_LINE_BYTES);
      for (const line of lines) onLine(line.slice(0, MAX_READY_LINE_BYTES));
    }
  }

  async #probe(address: string, stop: AbortSignal): Promise<void> {
    const endpoint = address.startsWith("unix:")
      ? { transport: "unix" as const, path: address.slice(5) }
      : parseAddress(address, { bare: "tcp", schemes: ["tcp"] });
    if (endpoint.transport === "tcp") this.port = endpoint.port;
    while (!stop.aborted) {
      try {
        const conn = await openStream(endpoint, { timeoutMs: 1000 });
        conn.close();
        return;
      } catch {
        await sleep(ADDRESS_PROBE_MS, stop).catch(() => {});
      }
    }
    await new Promise(() => {}); // The deadline decides.
  }

  /** Whether it has exited, and how. */
  get exit(): Deno.CommandStatus | undefined {
    return this.#exit;
  }

  /** The last `n` lines of its log, for a failure report. */
  async lastLines(n: number): Promise<string[]> {
    const text = await Deno.readTextFile(this.logPath).catch(() => "");
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const tail = lines.slice(-n);
    if (this.#dropped > 0) tail.push(`(${this.#dropped} more bytes not kept)`);
    return tail;
  }

  /** SIGTERM to its group, SIGKILL after the grace, and to what is left. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.group.stop("cancelled");
    await this.child.status;
    this.group.killNow(); // Whatever it left running in its group.
    this.group.dispose();
    // A process that left the group may still hold the pipes: not waited for.
    await settlesWithin(this.#pumping, 1000);
    await Promise.all([
      this.child.stdout.cancel().catch(() => {}),
      this.child.stderr.cancel().catch(() => {}),
    ]);
    this.log.close();
  }
}
