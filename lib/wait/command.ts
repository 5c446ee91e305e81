/**
 * `sockit wait`: the command-line face of waiting for servers in CI.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { UsageError } from "../cli/errors.ts";
import { duration } from "../cli/option.ts";
import { parseWaitTarget, waitForAll } from "./wait.ts";

/** How long `sockit wait` waits by default: 30 s. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

const wait = defineCommand({
  summary: "wait until every address accepts a connection",
  options: {
    timeout: duration({
      help: "Give up after this long; exit 1 listing what never came up",
      value: "SECONDS",
      short: "t",
      min: 1,
      max: 86_400_000,
      default: DEFAULT_WAIT_TIMEOUT_MS,
    }),
  },
  positionals: true,
  usage: "ADDRESS... [--timeout SECONDS]",
  async run(values, positionals) {
    if (positionals.length === 0) {
      throw new UsageError(
        "Name at least one address: tcp://HOST:PORT or unix:PATH",
      );
    }
    const targets = positionals.map(parseWaitTarget);
    await waitForAll(targets, values.timeout, PROCESS_STDOUT);
    return 0;
  },
});

/** `sockit wait`: wait until servers accept connections. */
export const WAIT: Service = {
  name: "wait",
  summary: "Wait until servers accept connections (for CI scripts)",
  commands: [wait],
  notes: [
    "Each ADDRESS is tcp://HOST:PORT (or HOST:PORT) or unix:PATH. sockit tries each every 50 ms,\n" +
    "the pause growing by half up to 1 s, until it accepts a connection; then prints\n" +
    "'ready: ADDRESS (SECONDS)' and exits 0 once all are up. After --timeout it exits 1 with\n" +
    "one line listing what never came up and why.",
  ],
  examples: [
    "sockit wait tcp://127.0.0.1:8083 --timeout 10",
    "sockit wait 127.0.0.1:20000 unix:/tmp/echo.sock",
  ],
};
