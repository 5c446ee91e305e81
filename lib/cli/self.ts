/**
 * How this sockit runs, and how to run it again: the runtime flags the
 * binary is built with (the least privilege sockit needs), and the command
 * line that starts this same sockit, compiled or from a checkout, for
 * `sockit check` services whose `run:` starts with `sockit`.
 *
 * @module
 */

/**
 * The runtime flags baked into the binary: the least privilege sockit needs.
 * deno.json's `sockit` task uses exactly these (a test checks it).
 */
export const RUNTIME_FLAGS = [
  "--unstable-net", // Deno.listenDatagram for the UDP services.
  "--allow-net", // Listen and connect where the user says; resolve names.
  "--allow-read", // Unix socket paths; --token-file; check plans.
  "--allow-write", // Unix socket files; --trace-file; check reports and service logs.
  "--allow-run", // The exec server's commands and their groups; check services.
  "--allow-env", // The exec token, the PATH handed to commands, a check plan's ${env.NAME}.
  // A 2 MiB young generation: RSS stays flat under load (it grew 70 -> 97 MiB
  // over 1M echo requests with V8's default) at no cost in requests/s.
  "--v8-flags=--max-semi-space-size=2",
] as const;

/**
 * The command line that runs this same sockit: the binary itself when
 * compiled, else `deno run` with {@linkcode RUNTIME_FLAGS} and this
 * checkout's `main.ts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownCommandLine } from "./self.ts";
 * assert.ok(ownCommandLine("file:///src/main.ts", "/usr/bin/deno").includes("--unstable-net"));
 * assert.deepEqual(ownCommandLine("file:///tmp/deno-compile-sockit/main.ts", "/usr/local/bin/sockit"), ["/usr/local/bin/sockit"]);
 * ```
 */
export function ownCommandLine(
  mainModule: string = Deno.mainModule,
  execPath: string = Deno.execPath(),
): string[] {
  if (mainModule.includes("/deno-compile-")) return [execPath];
  const main = mainModule.replace(/\/[^/]*$/, "/main.ts");
  return [
    execPath,
    "run",
    ...RUNTIME_FLAGS,
    decodeURIComponent(new URL(main).pathname),
  ];
}
