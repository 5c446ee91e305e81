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
  | { kind: "number"; min: number; max: number }
  | { kind: "choice"; choices: readonly string[] }
  | { kind: "size"; min: number; max: number };

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
 * import { parseOptionValue } from "./option.ts";
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
    case "number": {
      const value = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(value >= type.min && value <= type.max)) {
        throw bad(`use a number from ${type.min} to ${type.max}`);
      }
      return value;
    }
    case "count": {
      const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(count >= type.min && count <= type.max)) {
        throw bad(`use a whole number from ${type.min} to ${type.max}`);
      }
      return count;
    }
    case "size": {
      const size = parseSize(raw);
      if (!(size >= type.min && size <= type.max)) {
        throw bad(
          `use a size from ${formatSize(type.min)} to ${
            formatSize(type.max)
          }, e.g. 16MiB`,
        );
      }
      return size;
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
 * import { formatOptionHelp } from "./option.ts";
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
  if (
    type.kind === "seconds" || type.kind === "count" || type.kind === "number"
  ) {
    notes.push(`${type.min}-${type.max}`);
  }
  if (type.kind === "choice") notes.push(type.choices.join("|"));
  if (type.kind === "size") {
    notes.push(`${formatSize(type.min)}-${formatSize(type.max)}`);
  }
  if (type.kind === "text" && type.multiple) notes.push("repeatable");
  if (spec.default !== undefined && spec.default !== false) {
    notes.push(`default ${spec.default}`);
  }
  const suffix = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  return `  ${flag.padEnd(24)} ${spec.help}${suffix}`;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parses a byte size: a whole number with an optional `KiB`, `MiB` or
 * `GiB` (any case); `NaN` if it is not one.
 *
 * @example
 * ```ts
 * import { parseSize } from "./option.ts";
 * console.assert(parseSize("16MiB") === 16 * 1024 * 1024 && parseSize("100") === 100);
 * console.assert(Number.isNaN(parseSize("1.5MB")));
 * ```
 */
export function parseSize(raw: string): number {
  const match = raw.trim().match(/^(\d+)\s*([a-z]*)$/i);
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "x"];
  return match && unit ? Number(match[1]) * unit : NaN;
}

/**
 * Writes a byte size with the largest whole binary unit.
 *
 * @example
 * ```ts
 * import { formatSize } from "./option.ts";
 * console.assert(formatSize(16 * 1024 * 1024) === "16MiB" && formatSize(1000) === "1000B");
 * ```
 */
export function formatSize(bytes: number): string {
  for (
    const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], [
      "KiB",
      1024,
    ]] as const
  ) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
