/**
 * `sockit completions bash|zsh|fish`: prints the shell completion script,
 * generated from the command definitions (`lib/cli/completions.ts`).
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { UsageError } from "../io/errors.ts";
import { completionScript, type Shell, SHELLS } from "../cli/completions.ts";
import { writeAll } from "../io/streams.ts";

/**
 * The `completions` service; `services` gives the list it completes (every
 * service, itself included), read when it runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { completionsService } from "./command.ts";
 * assert.equal(completionsService(() => []).name, "completions");
 * ```
 */
export function completionsService(
  services: () => readonly Service[],
): Service {
  return {
    name: "completions",
    summary: "Print the shell completion script for bash, zsh or fish",
    commands: [defineCommand({
      summary: "Print the shell completion script for bash, zsh or fish",
      usage: "bash|zsh|fish",
      positionals: true,
      options: {},
      async run(_values, positionals) {
        const [shell, ...rest] = positionals;
        if (shell === undefined) {
          throw new UsageError(
            `Missing the shell: say which, one of ${SHELLS.join(", ")}`,
          );
        }
        if (!SHELLS.includes(shell as Shell) || rest.length > 0) {
          throw new UsageError(
            `Invalid shell "${positionals.join(" ")}": use one of ${
              SHELLS.join(", ")
            }`,
          );
        }
        await writeAll(
          PROCESS_STDOUT,
          new TextEncoder().encode(
            completionScript(shell as Shell, services()),
          ),
        );
        return 0;
      },
    })],
    examples: [
      "sockit completions bash > /tmp/sockit.bash",
      "sockit completions fish > /tmp/sockit.fish",
    ],
    notes: [
      'Load them: bash `source <(sockit completions bash)`; zsh `sockit completions zsh > "${fpath[1]}/_sockit"`; fish `sockit completions fish > ~/.config/fish/completions/sockit.fish`.',
    ],
  };
}
