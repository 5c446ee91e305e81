/**
 * Command-line option specs and the validation of their values. Pure: each
 * parser takes the raw string and either returns the value or throws a
 * {@linkcode UsageError} that names the option, the bad value and the range.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** What an option's value is, and its bounds. */
export type OptionKind =
  | { kind: "flag" }
  | { kind: "text"; multiple?: boolean }
  | { kind: "port"; min: 0 | 1 }
  | { kind: "seconds"; min: number; max: number }
  | { kind: "count"; min: number; max: number }
  | { kind: "choice"; choices: readonly string[] };

/** One command-line option: its name, kind, default and help line. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `port`. */
  name: string;
  /** The value's kind and bounds. */
  type: OptionKind;
  /** Placeholder in help, e.g. `PORT`. */
  value?: string;
  /** Default, shown in help and used when the option is absent. */
  default?: string | number | boolean;
  /** One line of help; bounds are added from `type`. */
  help: string;
}

/** A validated option value. */
export type OptionValue = string | number | boolean | string[] | undefined;

/**
 * Validates one raw value against its spec.
 *
 * @example
 * ```ts
 * import { parseOptionValue } from "./options.ts";
 * const port = { name: "port", type: { kind: "port", min: 0 }, help: "" } as const;
 * console.assert(parseOptionValue(port, "8080", "sockit --help") === 8080);
 * ```
 */
export function parseOptionValue(
  spec: OptionSpec,
  raw: string,
  help: string,
): number | string {
  const { type } = spec;
  const bad = (why: string) =>
    new UsageError(`Invalid --${spec.name} "${raw}": ${why}`, help);
  switch (type.kind) {
    case "port": {
      const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(port >= type.min && port <= 65535)) {
        throw bad(`use a port from ${type.min} to 65535`);
      }
      return port;
    }
    case "seconds": {
      const seconds = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(seconds >= type.min && seconds <= type.max)) {
        throw bad(`use a number of seconds from ${type.min} to ${type.max}`);
      }
      return seconds;
    }
    case "count": {
      const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(count >= type.min && count <= type.max)) {
        throw bad(`use a whole number from ${type.min} to ${type.max}`);
      }
      return count;
    }
    case "choice":
      if (!type.choices.includes(raw)) {
        throw bad(`use one of ${type.choices.join(", ")}`);
      }
      return raw;
    default:
      return raw;
  }
}

/**
 * Writes the help line for an option, with its bounds and default.
 *
 * @example
 * ```ts
 * import { formatOptionHelp } from "./options.ts";
 * const line = formatOptionHelp({ name: "port", type: { kind: "port", min: 0 }, value: "PORT", default: 20000, help: "Port" });
 * console.assert(line.includes("--port PORT") && line.includes("default 20000"));
 * ```
 */
export function formatOptionHelp(spec: OptionSpec): string {
  const flag = spec.type.kind === "flag"
    ? `--${spec.name}`
    : `--${spec.name} ${spec.value ?? "VALUE"}`;
  const notes: string[] = [];
  const { type } = spec;
  if (type.kind === "port") notes.push(`${type.min}-65535`);
  if (type.kind === "seconds" || type.kind === "count") {
    notes.push(`${type.min}-${type.max}`);
  }
  if (type.kind === "choice") notes.push(type.choices.join("|"));
  if (type.kind === "text" && type.multiple) notes.push("repeatable");
  if (spec.default !== undefined && spec.default !== false) {
    notes.push(`default ${spec.default}`);
  }
  const suffix = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  return `  ${flag.padEnd(24)} ${spec.help}${suffix}`;
}
