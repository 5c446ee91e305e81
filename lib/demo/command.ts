/**
 * `sockit demo`: the command-line face of the self-test.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { runDemo } from "./run.ts";

/** `sockit demo`: start every server on loopback and check every client path. */
export const DEMO: Service = {
  name: "demo",
  summary: "Start every server on loopback and check every client path",
  commands: [
    defineCommand({
      summary:
        "start every server on loopback, drive every client path, print a table",
      options: {},
      run: () => runDemo(PROCESS_STDOUT),
    }),
  ],
  examples: ["sockit demo"],
};
