/**
 * `sockit demo`: starts every server on free loopback ports inside this
 * process, drives every client path against them, prints a transcript and a
 * table (service, check, result, time), and exits 0 only if every check
 * passed. The smoke test a user runs after downloading the binary.
 *
 * @module
 */

import type { DemoCheck, DemoResult } from "./check.ts";
import { execDemo } from "./exec.ts";
import { relayDemo } from "./relay.ts";
import { smokePlanDemo } from "./smoke_plan.ts";
import { tcpEchoDemo } from "./tcp_echo.ts";
import { udpDemo } from "./udp.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";

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
  for (
    const start of [tcpEchoDemo, udpDemo, execDemo, relayDemo, smokePlanDemo]
  ) {
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
 * import assert from "node:assert/strict";
 * import { formatTable } from "./run.ts";
 * const check = { service: "s", name: "n", command: "c", run: () => Promise.resolve("") };
 * assert.ok(formatTable([{ check, ok: true, ms: 1.2, detail: "" }]).includes("ok"));
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
