/**
 * `sockit demo`: starts every server on free loopback ports inside this
 * process, drives every client path against them, prints a transcript and a
 * table (service, check, result, time), and exits 0 only if every check
 * passed. The smoke test a user runs after downloading the binary.
 *
 * @module
 */

import { type ClientIo } from "../cli/client_io.ts";
import { execDemo } from "./exec.ts";
import { tcpEchoDemo } from "./tcp_echo.ts";
import { udpDemo } from "./udp.ts";
import { SockitError } from "../cli/errors.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";
import { MemoryReader, MemoryWriter } from "../io/memory.ts";

/** One demo check: the command it stands for and what it does. */
export interface DemoCheck {
  /** Service column of the table. */
  service: string;
  /** Check column of the table. */
  name: string;
  /** The equivalent command line, shown in the transcript. */
  command: string;
  /** Runs the check; resolves to transcript text, throws if the check failed. */
  run(): Promise<string>;
  /** Why the check cannot apply on this system; it is then shown as skipped, not run. */
  skip?: string;
}

/** A service's part of the demo: servers it started and the checks against them. */
export interface DemoSuite extends AsyncDisposable {
  /** The checks, run in order. */
  checks: DemoCheck[];
}

/** The result of one check. */
export interface DemoResult {
  /** The check. */
  check: DemoCheck;
  /** Whether it passed (a skipped check did not fail). */
  ok: boolean;
  /** Whether it was skipped. */
  skipped?: boolean;
  /** How long it took, in ms. */
  ms: number;
  /** Transcript output, or the failure. */
  detail: string;
}

const encoder = new TextEncoder();

/**
 * Runs the whole demo, writing to `out`; resolves to 0 if every check passed,
 * else 1.
 *
 * @example
 * ```ts ignore
 * import { runDemo } from "./run.ts";
 * const code = await runDemo(Deno.stdout);
 * ```
 */
export async function runDemo(out: ByteWriter): Promise<number> {
  const print = (text: string) => writeAll(out, encoder.encode(text + "\n"));
  await print(
    "sockit demo: servers on free loopback ports, every client path against them\n",
  );
  const results: DemoResult[] = [];
  for (const start of [tcpEchoDemo, udpDemo, execDemo]) {
    await using suite = await start();
    for (const check of suite.checks) {
      const result = await runCheck(check);
      results.push(result);
      await print(`$ ${check.command}`);
      await print(
        indent(result.ok ? result.detail : `FAILED: ${result.detail}`) + "\n",
      );
    }
  }
  await print(formatTable(results));
  const failed = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.skipped).length;
  const ran = results.length - skipped;
  const skippedNote = skipped > 0
    ? ` (${skipped} skipped on ${Deno.build.os})`
    : "";
  await print(
    failed === 0
      ? `\nAll ${ran} checks passed${skippedNote}`
      : `\n${failed} of ${ran} checks FAILED`,
  );
  return failed === 0 ? 0 : 1;
}

async function runCheck(check: DemoCheck): Promise<DemoResult> {
  if (check.skip) {
    return {
      check,
      ok: true,
      skipped: true,
      ms: 0,
      detail: `skipped: ${check.skip}`,
    };
  }
  const started = performance.now();
  try {
    const detail = await check.run();
    return { check, ok: true, ms: performance.now() - started, detail };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { check, ok: false, ms: performance.now() - started, detail };
  }
}

function indent(text: string): string {
  return text.trimEnd().split("\n").map((l) => `  ${l}`).join("\n");
}

/**
 * Formats results as an aligned table.
 *
 * @example
 * ```ts
 * import { formatTable } from "./run.ts";
 * const check = { service: "s", name: "n", command: "c", run: () => Promise.resolve("") };
 * console.assert(formatTable([{ check, ok: true, ms: 1.2, detail: "" }]).includes("ok"));
 * ```
 */
export function formatTable(results: readonly DemoResult[]): string {
  const rows = [
    ["SERVICE", "CHECK", "RESULT", "TIME"],
    ...results.map((
      r,
    ) => [
      r.check.service,
      r.check.name,
      r.skipped ? "skipped" : r.ok ? "ok" : "FAILED",
      `${r.ms.toFixed(1)} ms`,
    ]),
  ];
  const widths = [0, 1, 2].map((i) =>
    Math.max(...rows.map((row) => row[i]!.length))
  );
  return rows.map((row) =>
    row.map((cell, i) => i < 3 ? cell.padEnd(widths[i]!) : cell).join("  ")
  ).join("\n");
}

/**
 * An in-memory client I/O: `stdin` text in, `stdout` and `stderr` captured.
 *
 * @example
 * ```ts
 * import { memoryIo } from "./run.ts";
 * const io = memoryIo("hi\n", false);
 * console.assert(!io.stdinIsTerminal);
 * ```
 */
export function memoryIo(
  stdin: string | Uint8Array,
  stdinIsTerminal: boolean,
): ClientIo & { stdout: MemoryWriter; stderr: MemoryWriter } {
  const bytes = typeof stdin === "string" ? encoder.encode(stdin) : stdin;
  return {
    stdin: new MemoryReader(bytes),
    stdinIsTerminal,
    stdout: new MemoryWriter(),
    stderr: new MemoryWriter(),
  };
}

/**
 * Asserts a condition in a demo check, failing it with `message`.
 *
 * @example
 * ```ts
 * import { demand } from "./run.ts";
 * demand(1 + 1 === 2, "arithmetic");
 * ```
 */
export function demand(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/**
 * Runs `run`, which must fail with a {@linkcode SockitError}; resolves to its
 * message. Any other outcome fails the check.
 *
 * @example
 * ```ts
 * import { expectFailure } from "./run.ts";
 * import { SockitError } from "../cli/errors.ts";
 * const message = await expectFailure(() => Promise.reject(new SockitError("no")));
 * console.assert(message === "no");
 * ```
 */
export async function expectFailure(
  run: () => Promise<unknown>,
): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (err instanceof SockitError) return err.message;
    throw err;
  }
  throw new Error("the client succeeded where it should have failed");
}

/**
 * Why POSIX-only checks cannot run here, or `undefined` on a POSIX system.
 *
 * @example
 * ```ts
 * import { posixOnly } from "./run.ts";
 * console.assert(posixOnly === undefined || Deno.build.os === "windows");
 * ```
 */
export const posixOnly: string | undefined = Deno.build.os === "windows"
  ? "needs a POSIX system (/bin/sh, process groups, unix sockets)"
  : undefined;
