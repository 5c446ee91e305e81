/**
 * How a server logs: `--log-format` and `--quiet` (with `--trace`), and the
 * logger their values make.
 *
 * @module
 */

import { choice, flag } from "../cli/option.ts";
import { Logger } from "../io/log.ts";
import { MAX_QUEUED_LOG_BYTES } from "../io/log_queue.ts";
import { formatSize } from "../io/units.ts";
import { TRACE_OPTIONS } from "./trace_options.ts";

/** How a server logs: `--log-format`, `--quiet` (what is quiet is the server's to say) and `--trace`. */
export function logOptions(quietHelp = "Do not log each connection") {
  return {
    logFormat: choice({
      help:
        `Log lines on stderr as text or one JSON object each; a slow stderr gets up to ${
          formatSize(MAX_QUEUED_LOG_BYTES)
        } queued (warnings ${
          formatSize(2 * MAX_QUEUED_LOG_BYTES)
        }), then lines are dropped and counted`,
      value: "FORMAT",
      choices: ["text", "json"] as const,
      default: "text",
    }),
    quiet: flag({ help: quietHelp, short: "q" }),
    ...TRACE_OPTIONS,
  };
}

/**
 * A server's logger from `--log-format` and `--quiet`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loggerFrom } from "./log_options.ts";
 * assert.ok(loggerFrom({ logFormat: "json", quiet: true }, "doc").quiet);
 * ```
 */
export function loggerFrom(
  values: { logFormat: "text" | "json"; quiet: boolean },
  service: string,
): Logger {
  return new Logger({
    service,
    format: values.logFormat,
    quiet: values.quiet,
  });
}
