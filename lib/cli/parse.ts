/**
 * Parsing `sockit <service> <role> [options]` against the command table:
 * strict (an unknown option or a bad value is a {@linkcode UsageError}),
 * with help generated from the option specs. Pure: nothing runs here.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import {
  formatOptionHelp,
  type OptionSpec,
  type OptionValue,
  parseOptionValue,
} from "./option.ts";

/** One runnable command: a service's role, or a role-less command like `demo`. */
export interface CommandSpec {
  /** The role (`server`, `client`), or `undefined` for a command without roles. */
  role?: string;
  /** One line on what it does. */
  summary: string;
  /** Its options (`--help` is added). */
  options: readonly OptionSpec[];
  /** Whether it takes arguments after its options (e.g. after `--`). @default {false} */
  positionals?: boolean;
  /** Usage line after `sockit <service> <role>`. */
  usage?: string;
  /** Runs it and resolves to the exit code. */
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** A top-level word: a service with roles, or a single command. */
export interface ServiceSpec {
  /** The word after `sockit`, e.g. `tcp-echo`. */
  name: string;
  /** One line on what it is. */
  summary: string;
  /** Its roles, or one role-less command. */
  commands: readonly CommandSpec[];
  /** Copy-paste examples for help. */
  examples: readonly string[];
  /** Extra help paragraphs: wire behaviour, bounds. */
  notes?: readonly string[];
}

/** What the command line asks for. */
export type Invocation =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | {
    kind: "run";
    service: ServiceSpec;
    command: CommandSpec;
    values: OptionValues;
    positionals: string[];
  };

/**
 * Validated option values of one command, with defaults applied on read.
 *
 * @example
 * ```ts
 * import { OptionValues } from "./parse.ts";
 * const values = new OptionValues(new Map([["port", 80]]), []);
 * console.assert(values.number("port") === 80 && !values.has("host"));
 * ```
 */
export class OptionValues {
  readonly #values: Map<string, OptionValue>;
  readonly #specs: readonly OptionSpec[];

  /** Wraps parsed values; `specs` supply the defaults. */
  constructor(values: Map<string, OptionValue>, specs: readonly OptionSpec[]) {
    this.#values = values;
    this.#specs = specs;
  }

  /** Whether the option was given on the command line. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** A text option's value or default. */
  text(name: string): string | undefined {
    const value = this.#get(name);
    return value === undefined ? undefined : String(value);
  }

  /** A repeatable text option's values, in order. */
  texts(name: string): string[] {
    const value = this.#values.get(name);
    return Array.isArray(value) ? value : [];
  }

  /** A numeric option's value or default. */
  number(name: string): number {
    const value = this.#get(name);
    if (typeof value !== "number") {
      throw new TypeError(`Option --${name} has no number value`);
    }
    return value;
  }

  /** A flag's value. */
  flag(name: string): boolean {
    return this.#get(name) === true;
  }

  #get(name: string): OptionValue {
    if (this.#values.has(name)) return this.#values.get(name);
    return this.#specs.find((s) => s.name === name)?.default;
  }
}

/**
 * Parses the arguments after `sockit` against `services`.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./parse.ts";
 * console.assert(parseCommandLine([], []).kind === "help");
 * console.assert(parseCommandLine(["--version"], []).kind === "version");
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  services: readonly ServiceSpec[],
): Invocation {
  const [first, second] = args;
  if (
    first === undefined || first === "--help" || first === "-h" ||
    first === "help"
  ) {
    return { kind: "help", text: topLevelHelp(services) };
  }
  if (first === "--version" || first === "-V") return { kind: "version" };
  const service = services.find((s) => s.name === first);
  if (!service) {
    const what = first.startsWith("-")
      ? `Unknown option "${first}"`
      : `Unknown command "${first}"`;
    throw new UsageError(
      `${what}: use one of ${services.map((s) => s.name).join(", ")}`,
    );
  }
  const help = `sockit ${service.name} --help`;
  const roleless = service.commands.find((c) => c.role === undefined);
  let command: CommandSpec | undefined = roleless;
  let rest = args.slice(1);
  if (!roleless) {
    if (second === undefined || second === "--help" || second === "-h") {
      return { kind: "help", text: serviceHelp(service) };
    }
    command = service.commands.find((c) => c.role === second);
    if (!command) {
      const roles = service.commands.map((c) => c.role).join(" or ");
      throw new UsageError(
        `Unknown role "${second}" for ${service.name}: use ${roles}`,
        help,
      );
    }
    rest = args.slice(2);
  }
  if (!command) throw new TypeError(`Service ${service.name} has no commands`);
  const dashes = rest.indexOf("--");
  const optionWords = dashes < 0 ? rest : rest.slice(0, dashes);
  if (optionWords.includes("--help") || optionWords.includes("-h")) {
    return { kind: "help", text: serviceHelp(service) };
  }
  const { values, positionals } = parseOptions(
    command,
    rest,
    service.name,
    help,
  );
  return { kind: "run", service, command, values, positionals };
}

function parseOptions(
  command: CommandSpec,
  args: string[],
  serviceName: string,
  help: string,
): { values: OptionValues; positionals: string[] } {
  const name = command.role ? `${serviceName} ${command.role}` : serviceName;
  const config: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean }
  > = {};
  for (const spec of command.options) {
    config[spec.name] = spec.type.kind === "flag" ? { type: "boolean" } : {
      type: "string",
      multiple: spec.type.kind === "text" && spec.type.multiple === true,
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachNegativeValues(args, config),
      options: config,
      strict: true,
      allowPositionals: command.positionals ?? false,
    });
  } catch (err) {
    throw new UsageError(
      describeParseError(err, name, command.positionals ?? false),
      help,
    );
  }
  const values = new Map<string, OptionValue>();
  for (const spec of command.options) {
    const raw = (parsed.values as Record<
      string,
      string | boolean | string[] | undefined
    >)[spec.name];
    if (raw === undefined) continue;
    if (typeof raw === "string") {
      values.set(spec.name, parseOptionValue(spec, raw, help));
    } else values.set(spec.name, raw);
  }
  return {
    values: new OptionValues(values, command.options),
    positionals: parsed.positionals,
  };
}

/** Joins `--timeout -1` into `--timeout=-1`, so a negative number is judged as a value. */
function attachNegativeValues(
  args: string[],
  config: Record<string, { type: "string" | "boolean" }>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === "--") return out.concat(args.slice(i));
    const option = config[arg.replace(/^--/, "")];
    if (
      arg.startsWith("--") && option?.type === "string" && next !== undefined &&
      /^-[\d.]/.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function describeParseError(
  err: unknown,
  command: string,
  positionals: boolean,
): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const quoted = message.match(/'([^']+)'/)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `Unknown option "${quoted}" for ${command}${
        positionals ? "; put the remote command after --" : ""
      }`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("does not take an argument")) {
        return `Option "${quoted}" takes no value`;
      }
      if (message.includes("ambiguous")) {
        const option = quoted.split(" ")[0];
        return `Option "${option}" needs a value; write one that starts with "-" as ${option}=VALUE`;
      }
      return `Option "${quoted.split(" ")[0]}" needs a value`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `Unexpected argument "${quoted}" for ${command}`;
    default:
      return message;
  }
}

const EXIT_CODES = "Exit codes: 0 ok, 1 runtime failure, 2 usage error.";

/**
 * The text of `sockit --help`.
 *
 * @example
 * ```ts
 * import { topLevelHelp } from "./parse.ts";
 * console.assert(topLevelHelp([]).includes("Exit codes"));
 * ```
 */
export function topLevelHelp(services: readonly ServiceSpec[]): string {
  const width = Math.max(0, ...services.map((s) => s.name.length)) + 2;
  return [
    "sockit: sockets on the command line: TCP echo, UDP uppercase, header-framed exec",
    "",
    "Usage:",
    "  sockit <service> <role> [options]",
    "  sockit <service> --help",
    "  sockit --version",
    "",
    "Services and commands:",
    ...services.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    "",
    EXIT_CODES,
  ].join("\n");
}

/**
 * The text of `sockit <service> --help`: usage, every role's options with
 * bounds and defaults, notes and examples.
 *
 * @example
 * ```ts
 * import { serviceHelp } from "./parse.ts";
 * const text = serviceHelp({ name: "x", summary: "X", commands: [], examples: ["sockit x"] });
 * console.assert(text.includes("sockit x"));
 * ```
 */
export function serviceHelp(service: ServiceSpec): string {
  const lines = [`sockit ${service.name}: ${service.summary}`, "", "Usage:"];
  for (const command of service.commands) {
    const head = ["sockit", service.name, command.role].filter(Boolean).join(
      " ",
    );
    lines.push(`  ${head} ${command.usage ?? "[options]"}`);
  }
  for (const command of service.commands) {
    lines.push(
      "",
      command.role
        ? `${capitalize(command.role)} options (${command.summary}):`
        : "Options:",
    );
    for (const spec of command.options) lines.push(formatOptionHelp(spec));
    lines.push(`  ${"--help".padEnd(24)} Show this help`);
  }
  for (const note of service.notes ?? []) lines.push("", note);
  lines.push(
    "",
    "Examples:",
    ...service.examples.map((e) => `  ${e}`),
    "",
    EXIT_CODES,
  );
  return lines.join("\n");
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
