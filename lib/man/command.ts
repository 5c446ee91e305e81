/**
 * `sockit man`: prints sockit's man page (roff), generated from the command
 * definitions (`lib/cli/reference.ts`), so a binary carries its own:
 * `sockit man | man -l -`.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { type LimitRow, manPage } from "../cli/reference.ts";
import { writeAll } from "../io/streams.ts";

/**
 * The `man` service; `services` gives the commands the page describes, read
 * when it runs; `version` and `date` head the page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manService } from "./command.ts";
 * assert.equal(manService(() => [], "0.1.0").name, "man");
 * ```
 */
export function manService(
  services: () => readonly Service[],
  version: string,
  date = "",
  limits: readonly LimitRow[] = [],
): Service {
  return {
    name: "man",
    summary: "Print sockit's man page (roff): sockit man | man -l -",
    commands: [defineCommand({
      summary: "Print sockit's man page (roff)",
      usage: "",
      options: {},
      async run() {
        await writeAll(
          PROCESS_STDOUT,
          new TextEncoder().encode(
            manPage(services(), version, date, limits),
          ),
        );
        return 0;
      },
    })],
    examples: ["sockit man > /tmp/sockit.1"],
  };
}
