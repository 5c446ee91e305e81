// deno-lint-ignore-file no-console -- main.ts is where sockit speaks to the user.
/**
 * sockit's entry point: parses the command line against the command table
 * and dispatches. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 *
 * @module
 */

import denoConfig from "./deno.json" with { type: "json" };
import type { Invocation } from "./lib/cli/parse.ts";
import {
  EXIT_FAILURE,
  formatErrorLine,
  OutputClosed,
  SockitError,
  UsageError,
} from "./lib/io/errors.ts";

/**
 * Runs sockit with `args` (without the program name) and resolves to the
 * exit code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const code = await main(["--version"]);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  // Start-up: the command table pulls in Node's compatibility layer (about
  // 50 ms); --version needs none of it.
  if (args.length === 1 && args[0] === "--version") {
    return print(versionText());
  }
  let invocation: Invocation;
  try {
    const { parseCommandLine } = await import("./lib/cli/parse.ts");
    const { SERVICES } = await import("./lib/services.ts");
    invocation = parseCommandLine(args, SERVICES);
    if (invocation.kind === "help") return print(invocation.text);
    if (invocation.kind === "version") return print(versionText());
    return await invocation.run();
  } catch (err) {
    return reportError(err);
  }
}

/** The `--version` text: sockit's version, Deno's and V8's, and the target. */
export function versionText(): string {
  return `sockit ${denoConfig.version} (deno ${Deno.version.deno}, v8 ${Deno.version.v8}, ${Deno.build.target})`;
}

function print(text: string): number {
  console.log(text);
  return 0;
}

function reportError(err: unknown): number {
  if (err instanceof OutputClosed) return err.exitCode; // Like any tool whose reader left.
  if (err instanceof UsageError) {
    console.error(
      `${formatErrorLine(err.message)} (see '${err.help ?? "sockit --help"}')`,
    );
    return err.exitCode;
  }
  if (err instanceof SockitError) {
    console.error(formatErrorLine(err.message));
    return err.exitCode;
  }
  if (err instanceof Deno.errors.NotCapable) {
    // Deno refuses devices and /proc without --allow-all, which sockit never
    // asks for: say what works, never the runtime's advice.
    const path = err.message.match(/"([^"]*)"/)?.[1] ?? "that path";
    console.error(
      formatErrorLine(
        `Cannot use "${path}": sockit opens regular files, /dev/stdin, /dev/stdout and /dev/stderr, not other devices or /proc; give a file path`,
      ),
    );
    return EXIT_FAILURE;
  }
  console.error(
    `sockit: unexpected error: ${
      err instanceof Error ? err.stack : String(err)
    }`,
  );
  return EXIT_FAILURE;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
