/**
 * What a demo check is, and the helpers the demo's suites share: in-memory
 * client I/O, assertions that fail a check with a message, and the reason
 * POSIX-only checks are skipped elsewhere.
 *
 * @module
 */

import type { ClientIo } from "../cli/client_io.ts";
import { SockitError } from "../io/errors.ts";
import { MemoryReader, MemoryWriter } from "../io/memory.ts";

const encoder = new TextEncoder();

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

/**
 * An in-memory client I/O: `stdin` text in, `stdout` and `stderr` captured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryIo } from "./check.ts";
 * const io = memoryIo("hi\n", false);
 * assert.ok(!io.stdinIsTerminal);
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
 * import { demand } from "./check.ts";
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
 * import assert from "node:assert/strict";
 * import { expectFailure } from "./check.ts";
 * import { SockitError } from "../io/errors.ts";
 * const message = await expectFailure(() => Promise.reject(new SockitError("no")));
 * assert.ok(message === "no");
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
 * import assert from "node:assert/strict";
 * import { posixOnly } from "./check.ts";
 * assert.ok(posixOnly === undefined || Deno.build.os === "windows");
 * ```
 */
export const posixOnly: string | undefined = Deno.build.os === "windows"
  ? "needs a POSIX system (/bin/sh, process groups, unix sockets)"
  : undefined;
