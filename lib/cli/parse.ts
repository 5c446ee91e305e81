/**
 * Parsing `sockit <service> <role> [options]` against the services: strict
 * (an unknown option, a bad value or a broken relation between options is a
 * {@linkcode UsageError} pointing at the service's `--help`), with defaults
 * applied, environment-only options read, and the values typed by the
 * command's own definitions. Pure but for reading the environment.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type Command,
  helpPointer,
  type PositionalAddress,
  type Service,
} from "./command.ts";
import { UsageError } from "../io/errors.ts";
import { serviceHelp, topLevelHelp } from "./help.ts";
import { describeParseError, type ParseArgsConfig } from "./parse_errors.ts";
import { flagName, InvalidValue, type OptionMap } from "./option.ts";

/** What the command line asks for. */
export type Invocation =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | {
    kind: "run";
    service: Service;
    command: Command;
    /** The typed values, keyed as the command declared them. */
    values: Readonly<Record<string, unknown>>;
    positionals: string[];
    /** Runs the command; a usage error it throws points at the service's help. */
    run(): Promise<number>;
  };

/** Reads an environment variable; `undefined` when unset or not permitted. */
export type EnvReader = (name: string) => string | undefined;

function processEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // Not permitted: as if unset.
  }
}

/**
 * Parses the arguments after `sockit` against `services`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./parse.ts";
 * assert.ok(parseCommandLine([], []).kind === "help");
 * assert.ok(parseCommandLine(["--version"], []).kind === "version");
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  services: readonly Service[],
  env: EnvReader = processEnv,
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
      "sockit --help",
    );
  }
  const help = helpPointer(service);
  const roleless = service.commands.find((c) => c.role === undefined);
  let command: Command | undefined = roleless;
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
  const name = command.role ? `${service.name} ${command.role}` : service.name;
  const parsed = parseOptions(command, rest, name, help, env);
  const { values } = parsed;
  const afterDashes = dashes < 0 ? [] : parsed.positionals.slice(
    parsed.positionals.length - (rest.length - dashes - 1),
  );
  const positionals = takeAddress(
    command,
    parsed,
    afterDashes.length,
    name,
    help,
  );
  const chosen = command;
  return {
    kind: "run",
    service,
    command,
    values,
    positionals,
    run: () =>
      runPointingAtHelp(
        // The values were built from this very command's options.
        () => chosen.run(values as never, positionals, afterDashes),
        help,
      ),
  };
}

async function runPointingAtHelp(
  run: () => Promise<number>,
  help: string,
): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError && err.help === undefined) {
      throw new UsageError(err.message, help);
    }
    throw err;
  }
}

function parseOptions(
  command: Command,
  args: string[],
  name: string,
  help: string,
  env: EnvReader,
): Parsed {
  const options: OptionMap = command.options;
  const config: ParseArgsConfig = {};
  for (const [key, option] of Object.entries(options)) {
    if (option.env !== undefined) continue;
    config[flagName(key)] = {
      type: option.isFlag ? "boolean" : "string",
      ...(option.isFlag ? {} : { multiple: option.repeatable }),
      ...(option.short === undefined ? {} : { short: option.short }),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachNegativeValues(args, config),
      options: config,
      strict: true,
      allowPositionals: (command.positionals ?? false) ||
        command.address !== undefined,
    });
  } catch (err) {
    throw new UsageError(
      describeParseError(err, name, command.unknownOptionHint, config),
      help,
    );
  }
  const raw = parsed.values as Record<string, string | boolean | string[]>;
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [key, option] of Object.entries(options)) {
    const where = option.env ?? `--${flagName(key)}`;
    const got = option.env !== undefined ? env(option.env) : raw[flagName(key)];
    if (got === undefined || (option.env !== undefined && got === "")) {
      if (option.required !== undefined) {
        throw new UsageError(option.required, help);
      }
      values[key] = option.default;
      continue;
    }
    given.add(key);
    const parseOne = (text: string) => {
      try {
        return option.parse(text);
      } catch (err) {
        if (!(err instanceof InvalidValue)) throw err;
        throw new UsageError(`Invalid ${where} "${text}": ${err.why}`, help);
      }
    };
    values[key] = typeof got === "boolean"
      ? got
      : Array.isArray(got)
      ? got.flatMap((text) => parseOne(text))
      : parseOne(got);
  }
  checkRelations(options, given, help);
  return { values, given, positionals: parsed.positionals };
}

function parsesAsAddress(address: PositionalAddress, word: string): boolean {
  try {
    address.parse(word);
    return true;
  } catch {
    return false;
  }
}

/** What {@linkcode parseOptions} found. */
interface Parsed {
  values: Record<string, unknown>;
  given: ReadonlySet<string>;
  positionals: string[];
}

/**
 * Moves a command's positional address into its option values and returns
 * the positionals left. An address and the options it stands for may not
 * both be given; a command that takes no other words refuses a second one.
 */
function takeAddress(
  command: Command,
  parsed: Parsed,
  afterDashes: number,
  name: string,
  help: string,
): string[] {
  const words = parsed.positionals;
  const before = words.length - afterDashes;
  const address = command.address;
  const usable = address !== undefined && before > 0 &&
    (!address.onlyBeforeDashes || afterDashes > 0 ||
      parsesAsAddress(address, words[0]!));
  if (usable) {
    const word = words[0]!;
    let mapped: Record<string, unknown>;
    try {
      mapped = address.parse(word);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(err.message, help);
      throw err;
    }
    const clash = address.replaces.find((key) => parsed.given.has(key));
    if (clash !== undefined) {
      throw new UsageError(
        `Give the address once: "${word}" or --${flagName(clash)}, not both`,
        help,
      );
    }
    Object.assign(parsed.values, mapped);
  }
  const rest = usable ? words.slice(1) : words;
  if (!command.positionals && rest.length > 0) {
    throw new UsageError(`Unexpected argument "${rest[0]}" for ${name}`, help);
  }
  return rest;
}

/** Enforces each given option's declared conflicts and requirements, in declaration order. */
function checkRelations(
  options: OptionMap,
  given: ReadonlySet<string>,
  help: string,
): void {
  for (const [key, option] of Object.entries(options)) {
    if (!given.has(key)) continue;
    for (const [other, message] of Object.entries(option.conflicts ?? {})) {
      if (given.has(other)) throw new UsageError(message, help);
    }
    for (const [other, message] of Object.entries(option.requires ?? {})) {
      if (!given.has(other)) throw new UsageError(message, help);
    }
  }
}

/**
 * Joins `--timeout -1` (or `-t -1`) into `--timeout=-1`, so a negative
 * number is judged as a value.
 */
function attachNegativeValues(
  args: string[],
  config: ParseArgsConfig,
): string[] {
  const longOf = new Map<string, string>();
  for (const [long, c] of Object.entries(config)) {
    if (c.short) longOf.set(`-${c.short}`, long);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === "--") return out.concat(args.slice(i));
    const long = arg.startsWith("--") ? arg.slice(2) : longOf.get(arg);
    if (
      long !== undefined && config[long]?.type === "string" &&
      next !== undefined && /^-[\d.]/.test(next)
    ) {
      out.push(`--${long}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
