/**
 * What a command-line parse error says: Node's `parseArgs` errors reworded
 * as one line a user can act on, with the closest known option for a typo.
 *
 * @module
 */

/** The option table `parseArgs` was given, by long name. */
export type ParseArgsConfig = Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean; short?: string }
>;

/**
 * The known option closest to `unknown` by edit distance, when it is close
 * enough to be a typo.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestOption } from "./parse_errors.ts";
 * assert.ok(closestOption("--mesage", ["message", "expect"]) === "--message");
 * assert.ok(closestOption("--zzz", ["message"]) === undefined);
 * ```
 */
export function closestOption(
  unknown: string,
  known: readonly string[],
): string | undefined {
  const word = unknown.replace(/^-+/, "").split("=")[0]!;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best && best.distance <= limit ? `--${best.name}` : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * One line for a `parseArgs` error: an unknown option (with the closest
 * known one, and `hint`), a value missing or given to a flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeParseError } from "./parse_errors.ts";
 * const err = Object.assign(new TypeError("Unknown option '--mesage'"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
 * const line = describeParseError(err, "tcp-echo client", undefined, { message: { type: "string" } });
 * assert.ok(line === 'Unknown option "--mesage" for tcp-echo client: did you mean --message?');
 * ```
 */
export function describeParseError(
  err: unknown,
  command: string,
  hint: string | undefined,
  config: ParseArgsConfig,
): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const quoted = message.match(/'([^']+)'/)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const guess = closestOption(quoted, Object.keys(config));
      return `Unknown option "${quoted}" for ${command}${
        guess ? `: did you mean ${guess}?` : ""
      }${hint ? `; ${hint}` : ""}`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      // Node names an option with a short form as '-p, --port <value>'.
      const named = quoted.match(/--[\w-]+/)?.[0] ?? quoted.split(" ")[0]!;
      const long = Object.entries(config).find(([, c]) =>
        `-${c.short}` === named
      )?.[0];
      const option = long === undefined ? named : `--${long}`;
      if (message.includes("does not take an argument")) {
        return `Option "${option}" takes no value`;
      }
      if (message.includes("ambiguous")) {
        return `Option "${option}" needs a value; write one that starts with "-" as ${option}=VALUE`;
      }
      return `Option "${option}" needs a value`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `Unexpected argument "${quoted}" for ${command}`;
    default:
      return message;
  }
}
