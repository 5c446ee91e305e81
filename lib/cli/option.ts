/**
 * Option definitions: what each command-line option is (its kind, bounds,
 * default and help line) and how its raw text becomes a typed value. A
 * command declares its options once with these builders; the parser, the
 * help and the command's `run` all read the same definitions. Pure.
 *
 * @module
 */

import { formatSize, parseSize } from "../io/units.ts";
import { InvalidValue } from "../io/errors.ts";

export { InvalidValue };

/**
 * One option. `T` is the value's type; `D` says whether it always has a
 * value (a default, a flag, a repeatable list) or may be `undefined`.
 */
export interface Option<T, D extends boolean = boolean> {
  /** One line of help; bounds and the default are added from the definition. */
  readonly help: string;
  /** Placeholder for the value in help, e.g. `PORT`; absent for a flag. */
  readonly value?: string;
  /** A one-letter short form, e.g. `p` for `-p`. */
  readonly short?: string;
  /** Whether the option takes no value (`--quiet`). */
  readonly isFlag: boolean;
  /** Whether the option may be given more than once, each value kept in order. */
  readonly repeatable: boolean;
  /** The value when the option is absent. */
  readonly default: D extends true ? T : undefined;
  /** The default as help shows it, e.g. `16MiB`, `5`; `undefined` shows none. */
  readonly shownDefault: string | undefined;
  /** Bounds as help shows them, e.g. `0-65535`. */
  readonly bounds: string | undefined;
  /** The values it takes, when they are a fixed list (`text`, `json`): for completions. */
  readonly choices?: readonly string[];
  /**
   * The environment variable this option is read from; such an option has no
   * command-line form (a secret does not belong in `ps` output).
   */
  readonly env?: string;
  /** Options this one may not be given with, by key, each with the message to print. */
  readonly conflicts?: Readonly<Record<string, string>>;
  /** Options this one needs, by key, each with the message to print when it is missing. */
  readonly requires?: Readonly<Record<string, string>>;
  /** When set, the option must be given; this is the message when it is not. */
  readonly required?: string;
  /** Turns one raw value into `T`, or throws an {@linkcode InvalidValue} saying why not. */
  parse(raw: string): T;
  /** Shows a value in the command line's own words (a custom type's), for logs. */
  show?(value: T): string;
}

/**
 * A custom value type, as cliffy's: how an option's text becomes its value
 * (once, in the parser; `run` receives the value), and how help and logs
 * show one. `parse` throws an {@linkcode InvalidValue} or a `RangeError`
 * whose message says what to write instead.
 */
export interface ValueType<T> {
  /** The value's placeholder in help, e.g. `N[-M]`. */
  readonly placeholder: string;
  /** Turns raw text into a value, or throws saying what to write. */
  parse(raw: string): T;
  /** The value in the command line's words: `show(parse(x))` parses back to the same value. */
  show(value: T): string;
}

/** Any option, for code that handles options without their types. */
// deno-lint-ignore no-explicit-any
export type AnyOption = Option<any, boolean>;

/** A command's options, keyed by camelCase name: `maxConns` is `--max-conns`. */
export type OptionMap = Readonly<Record<string, AnyOption>>;

/**
 * The typed values of an option map: `number` for a port with a default,
 * `string | undefined` for a text without one, and so on. Reading an option
 * the command did not declare is a type error.
 */
export type Values<O extends OptionMap> = {
  readonly [K in keyof O]: O[K] extends Option<infer T, true> ? T
    : O[K] extends Option<infer T, false> ? T | undefined
    : never;
};

/** What every builder takes. */
export interface OptionText {
  /** One line of help. */
  help: string;
  /** Placeholder in help, e.g. `PORT`. */
  value?: string;
  /** A one-letter short form, e.g. `p` for `-p`. */
  short?: string;
  /** Options this one may not be given with, by key, with the message to print. */
  conflicts?: Readonly<Record<string, string>>;
  /** Options this one needs, by key, with the message to print. */
  requires?: Readonly<Record<string, string>>;
}

/** Bounds of a numeric option, inclusive. */
export interface Range {
  /** The smallest value accepted. */
  min: number;
  /** The largest value accepted. */
  max: number;
}

function define<T, D extends boolean>(
  text: OptionText,
  rest: {
    isFlag?: boolean;
    repeatable?: boolean;
    default: D extends true ? T : undefined;
    shownDefault?: string | undefined;
    bounds?: string | undefined;
    choices?: readonly string[];
    env?: string;
    required?: string;
    parse: (raw: string) => T;
  },
): Option<T, D> {
  return {
    ...text,
    isFlag: rest.isFlag ?? false,
    repeatable: rest.repeatable ?? false,
    default: rest.default,
    shownDefault: rest.shownDefault,
    bounds: rest.bounds,
    ...(rest.choices === undefined ? {} : { choices: rest.choices }),
    ...(rest.env === undefined ? {} : { env: rest.env }),
    ...(rest.required === undefined ? {} : { required: rest.required }),
    parse: rest.parse,
  };
}

/**
 * An option of a custom {@linkcode ValueType}: `run` receives the parsed
 * value, and help shows the type's placeholder and its default in the
 * type's words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typed, type ValueType } from "./option.ts";
 * const EVEN: ValueType<number> = {
 *   placeholder: "EVEN",
 *   parse: (raw) => {
 *     if (!/^\d*[02468]$/.test(raw)) throw new RangeError("use an even number, e.g. 2");
 *     return Number(raw);
 *   },
 *   show: String,
 * };
 * const pairs = typed(EVEN, { help: "Pairs", default: 2 });
 * assert.ok(pairs.parse("8") === 8 && pairs.shownDefault === "2" && pairs.value === "EVEN");
 * assert.throws(() => pairs.parse("7"), /even number/);
 * ```
 */
export function typed<T>(
  type: ValueType<T>,
  t: OptionText & { default: T },
): Option<T, true>;
export function typed<T>(type: ValueType<T>, t: OptionText): Option<T, false>;
export function typed<T>(
  type: ValueType<T>,
  t: OptionText & { default?: T },
): Option<T, boolean> {
  const { default: fallback, ...rest } = t;
  return {
    ...define<T, boolean>(
      { value: type.placeholder, ...rest },
      {
        default: fallback,
        shownDefault: fallback === undefined ? undefined : type.show(fallback),
        parse: (raw) => parseAs(type, raw),
      },
    ),
    show: type.show,
  };
}

/**
 * A repeatable option of a custom {@linkcode ValueType}: each value parsed,
 * all kept in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typedList } from "./option.ts";
 * const words = typedList({ placeholder: "WORD", parse: (raw) => raw.toUpperCase(), show: String }, { help: "Word" });
 * assert.deepEqual(words.parse("a"), ["A"]);
 * ```
 */
export function typedList<T>(
  type: ValueType<T>,
  t: OptionText,
): Option<T[], true> {
  return define<T[], true>({ value: type.placeholder, ...t }, {
    repeatable: true,
    default: [],
    bounds: "repeatable",
    parse: (raw) => [parseAs(type, raw)],
  });
}

/** `type.parse`, its `RangeError` said as an {@linkcode InvalidValue}. */
function parseAs<T>(type: ValueType<T>, raw: string): T {
  try {
    return type.parse(raw);
  } catch (err) {
    if (err instanceof RangeError) throw new InvalidValue(err.message);
    throw err;
  }
}

/**
 * A flag: `true` when given, else `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flag } from "./option.ts";
 * assert.ok(flag({ help: "Say less" }).default === false);
 * ```
 */
export function flag(text: OptionText): Option<boolean, true> {
  return define(text, { isFlag: true, default: false, parse: () => true });
}

/**
 * Free text, e.g. a host name or a path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { text } from "./option.ts";
 * assert.ok(text({ help: "Host", default: "127.0.0.1" }).parse("::1") === "::1");
 * ```
 */
export function text(t: TextOption & { default: string }): Option<string, true>;
export function text(
  t: TextOption & { required: string },
): Option<string, true>;
export function text(t: TextOption & { env?: string }): Option<string, false>;
export function text(
  t: TextOption & { default?: string; env?: string; required?: string },
): Option<string, boolean> {
  const { default: fallback, env, required, check, ...rest } = t;
  return define<string, boolean>(rest, {
    default: fallback,
    shownDefault: fallback,
    ...(env === undefined ? {} : { env }),
    ...(required === undefined ? {} : { required }),
    parse: (raw) => {
      const problem = check?.(raw);
      if (problem) throw new InvalidValue(problem);
      return raw;
    },
  });
}

/** What {@linkcode text} takes besides the common fields. */
export interface TextOption extends OptionText {
  /** Says what is wrong with a value, or `null` if nothing is. */
  check?: (raw: string) => string | null;
}

/**
 * Text that may be given again and again (`--message a --message b`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { texts } from "./option.ts";
 * assert.ok(texts({ help: "Message" }).default.length === 0);
 * ```
 */
export function texts(t: TextOption): Option<string[], true> {
  const { check, ...rest } = t;
  return define<string[], true>(rest, {
    repeatable: true,
    default: [],
    bounds: "repeatable",
    parse: (raw) => {
      const problem = check?.(raw);
      if (problem) throw new InvalidValue(problem);
      return [raw];
    },
  });
}

/**
 * One of a fixed set of words.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choice } from "./option.ts";
 * const mode = choice({ help: "Mode", choices: ["a", "b"] as const, default: "a" });
 * assert.ok(mode.parse("b") === "b");
 * ```
 */
export function choice<C extends string>(
  t: OptionText & { choices: readonly C[]; default: C },
): Option<C, true> {
  const { choices, default: fallback, ...rest } = t;
  return define<C, true>(rest, {
    default: fallback,
    shownDefault: fallback,
    bounds: choices.join("|"),
    choices,
    parse: (raw) => {
      if (!(choices as readonly string[]).includes(raw)) {
        throw new InvalidValue(`use one of ${choices.join(", ")}`);
      }
      return raw as C;
    },
  });
}

/**
 * A TCP or UDP port; `min` 0 lets a server ask for a free one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { port } from "./option.ts";
 * assert.ok(port({ help: "Port", min: 0, default: 80 }).parse("8080") === 8080);
 * ```
 */
export function port(
  t: OptionText & { min: 0 | 1; default: number },
): Option<number, true> {
  const { min, default: fallback, ...rest } = t;
  return define<number, true>(rest, {
    default: fallback,
    shownDefault: String(fallback),
    bounds: `${min}-65535`,
    parse: (raw) => {
      const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(value >= min && value <= 65535)) {
        throw new InvalidValue(`use a port from ${min} to 65535`);
      }
      return value;
    },
  });
}

const DECIMAL = /^\d+(\.\d+)?$|^\.\d+$/;

/**
 * A duration typed in seconds (`0.5`, `30`) and read in milliseconds:
 * `min`, `max` and `default` are in milliseconds too, and help shows
 * seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duration } from "./option.ts";
 * const grace = duration({ help: "Grace", min: 0, max: 3_600_000, default: 5000 });
 * assert.ok(grace.parse("1.5") === 1500 && grace.shownDefault === "5");
 * ```
 */
export function duration(
  t: OptionText & Range & { default: number },
): Option<number, true>;
export function duration(t: OptionText & Range): Option<number, false>;
export function duration(
  t: OptionText & Range & { default?: number },
): Option<number, boolean> {
  const { min, max, default: fallback, ...rest } = t;
  const seconds = (ms: number) => String(ms / 1000);
  return define<number, boolean>(rest, {
    default: fallback,
    shownDefault: fallback === undefined ? undefined : seconds(fallback),
    bounds: `${seconds(min)}-${seconds(max)}`,
    parse: (raw) => {
      const ms = DECIMAL.test(raw) ? Number(raw) * 1000 : NaN;
      if (!(ms >= min && ms <= max)) {
        throw new InvalidValue(
          `use a number of seconds from ${seconds(min)} to ${seconds(max)}`,
        );
      }
      return ms;
    },
  });
}

/**
 * A whole number within bounds, e.g. a connection count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { count } from "./option.ts";
 * assert.ok(count({ help: "N", min: 1, max: 10, default: 4 }).parse("7") === 7);
 * ```
 */
export function count(
  t: OptionText & Range & { default: number },
): Option<number, true> {
  const { min, max, default: fallback, ...rest } = t;
  return define<number, true>(rest, {
    default: fallback,
    shownDefault: String(fallback),
    bounds: `${min}-${max}`,
    parse: (raw) => {
      const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(value >= min && value <= max)) {
        throw new InvalidValue(`use a whole number from ${min} to ${max}`);
      }
      return value;
    },
  });
}

/**
 * A number within bounds, fractions allowed; no default, so `undefined`
 * when absent (a guard that is off).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { number } from "./option.ts";
 * assert.ok(number({ help: "Rate", min: 0, max: 100 }).parse("2.5") === 2.5);
 * ```
 */
export function number(t: OptionText & Range): Option<number, false> {
  const { min, max, ...rest } = t;
  return define<number, false>(rest, {
    default: undefined,
    bounds: `${min}-${max}`,
    parse: (raw) => {
      const value = DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!(value >= min && value <= max)) {
        throw new InvalidValue(`use a number from ${min} to ${max}`);
      }
      return value;
    },
  });
}

/**
 * A byte size: a whole number with an optional `KiB`, `MiB` or `GiB`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { size } from "./option.ts";
 * const max = size({ help: "Max", min: 0, max: 1 << 30, default: 16 << 20 });
 * assert.ok(max.parse("1KiB") === 1024 && max.shownDefault === "16MiB");
 * ```
 */
export function size(
  t: OptionText & Range & { default: number },
): Option<number, true> {
  const { min, max, default: fallback, ...rest } = t;
  return define<number, true>(rest, {
    default: fallback,
    shownDefault: formatSize(fallback),
    bounds: `${formatSize(min)}-${formatSize(max)}`,
    parse: (raw) => {
      const value = parseSize(raw);
      if (!(value >= min && value <= max)) {
        throw new InvalidValue(
          `use a size from ${formatSize(min)} to ${
            formatSize(max)
          }, e.g. 16MiB`,
        );
      }
      return value;
    },
  });
}

/**
 * The command-line name of an option key: `maxConns` is `max-conns`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagName } from "./option.ts";
 * assert.ok(flagName("maxP99") === "max-p99" && flagName("port") === "port");
 * ```
 */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
