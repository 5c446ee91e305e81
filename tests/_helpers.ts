/**
 * Test helpers: time limits that clean up their timers, random payloads and
 * hashes, and in-process servers on 127.0.0.1 port 0.
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { Logger } from "../lib/log.ts";
import { type ByteReader, readFull } from "../lib/streams.ts";

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
  let total = 0;
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
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

/** A loopback TCP listener on a free port, with its port. */
export function listenLoopback(): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port: 0 });
}

/** A file URL as a path for this OS (`URL.pathname` is wrong on Windows: `/C:/...`). */
export function pathOf(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows"
    ? path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\")
    : path;
}
