/**
 * Test helpers: time limits that clean up their timers, random payloads and
 * hashes, and in-process servers on 127.0.0.1 port 0.
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { concatBytes } from "../lib/io/bytes.ts";
import { Logger } from "../lib/io/log.ts";
import { listenLoopback } from "../lib/net/listen.ts";
import { type ByteReader, readFull } from "../lib/io/streams.ts";

/**
 * Resolves like `promise`, or rejects naming `what` after `ms`.
 *
 * @example
 * ```ts ignore
 * await withTimeout(conn.read(buf), 5000, "the echo");
 * ```
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** `n` random bytes. */
export function randomPayload(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

/** Hex SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads exactly `n` bytes from `conn`, failing on early EOF. */
export async function readExactly(
  conn: Deno.Conn,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  const got = await readFull(conn, out);
  if (got !== n) throw new Error(`EOF after ${got} of ${n} bytes`);
  return out;
}

/** Reads `conn` until EOF. */
export async function readToEnd(conn: ByteReader): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return concatBytes(chunks);
    chunks.push(buffer.slice(0, n));
  }
}

/** A logger that keeps its lines, with a way to wait for one. */
export class CapturedLog {
  readonly lines: string[] = [];
  readonly #waiters: Array<{ re: RegExp; resolve: (line: string) => void }> =
    [];

  /** A logger writing JSON lines here. */
  logger(service = "test", quiet = false): Logger {
    return new Logger({
      service,
      format: "json",
      quiet,
      sink: (line) => this.#add(line),
    });
  }

  /** The parsed JSON lines whose event is `event`. */
  events(event: string): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l)).filter((o) =>
      o.event === event
    );
  }

  /** Resolves with the first line (past or future) matching `re`, within `ms`. */
  waitFor(re: RegExp, ms = 10_000): Promise<string> {
    const found = this.lines.find((l) => re.test(l));
    if (found) return Promise.resolve(found);
    return withTimeout(
      new Promise((resolve) => this.#waiters.push({ re, resolve })),
      ms,
      `a log line ${re}`,
    );
  }

  #add(line: string): void {
    this.lines.push(line);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.re.test(line)) {
        this.#waiters.splice(i, 1);
        waiter.resolve(line);
      }
    }
  }
}

export { listenLoopback } from "../lib/net/listen.ts";

export { pathOf } from "../scripts/sockit_process.ts";

/** A Python 3 peer that prints the port it bound on its first stdout line. */
export class PythonPeer implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #unread = "";

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
  }

  /** Runs `script` and waits for the port it prints. */
  static async start(
    script: string,
  ): Promise<{ peer: PythonPeer; port: string }> {
    const peer = new PythonPeer(
      new Deno.Command("python3", {
        args: ["-c", script],
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
    try {
      const first = await withTimeout(
        peer.#reader.read(),
        10_000,
        "the Python peer's port",
      );
      const [port = "", ...rest] = (first.value ?? "").split("\n");
      peer.#unread = rest.join("\n");
      return { peer, port: port.trim() };
    } catch (err) {
      await peer[Symbol.asyncDispose]();
      throw err;
    }
  }

  /**
   * The next non-empty line the peer prints (after its port), within 10 s;
   * `""` at its end. Python may write a line and its newline separately.
   */
  async nextOutput(): Promise<string> {
    while (true) {
      this.#unread = this.#unread.replace(/^\s+/, "");
      const end = this.#unread.indexOf("\n");
      if (end >= 0) {
        const line = this.#unread.slice(0, end);
        this.#unread = this.#unread.slice(end + 1);
        return line.trim();
      }
      const next = await withTimeout(this.#reader.read(), 10_000, "the peer");
      if (next.done) return this.#unread.trim();
      this.#unread += next.value;
    }
  }

  /** Stops the peer if it still runs and releases its pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel();
    await this.child.stderr.cancel();
    try {
      this.child.kill();
    } catch {
      // Exited.
    }
    await this.child.status;
  }
}

/** A server running in this process on 127.0.0.1:0, stopped (and awaited) at dispose. */
export interface InProcessServer extends AsyncDisposable {
  /** Its port. */
  port: number;
  /** Its log lines. */
  log: CapturedLog;
  /** A new connection to it. */
  connect(): Promise<Deno.TcpConn>;
  /** Starts its shutdown now (as SIGTERM would); dispose waits for it. */
  shutdown(): void;
}

/**
 * Starts `serve` on a loopback listener with a captured logger.
 *
 * @example
 * ```ts ignore
 * await using server = serveInProcess("tcp-echo", (l, signal, logger) => serveTcpEcho(l, { signal, logger }));
 * ```
 */
export function serveInProcess(
  service: string,
  serve: (
    listener: Deno.TcpListener,
    signal: AbortSignal,
    logger: Logger,
  ) => Promise<unknown>,
): InProcessServer {
  const listener = listenLoopback();
  const log = new CapturedLog();
  const stop = new AbortController();
  const served = serve(listener, stop.signal, log.logger(service));
  return {
    port: listener.addr.port,
    log,
    connect: () =>
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    shutdown: () => stop.abort(),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await withTimeout(served, 15_000, `the ${service} server to stop`);
    },
  };
}

/** Runs a one-shot Python 3 `script` with `args`, within 15 s. */
export function runPython(
  script: string,
  ...args: string[]
): Promise<Deno.CommandOutput> {
  return withTimeout(
    new Deno.Command("python3", {
      args: ["-c", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output(),
    15_000,
    "python3",
  );
}

/** Polls `check` every 50 ms until it holds, failing after `ms` with `what`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  await withTimeout(
    (async () => {
      while (!(await check())) await new Promise((r) => setTimeout(r, 50));
    })(),
    ms,
    what,
  );
}
