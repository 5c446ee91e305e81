/**
 * The command model: a {@linkcode Service} is a top-level word (`tcp-echo`)
 * with one command per role (`server`, `client`), or a single role-less
 * command (`demo`). Each command declares its options once, as an
 * {@linkcode OptionMap}; the parser hands its `run` the typed values.
 *
 * @module
 */

import type { OptionMap, Values } from "./option.ts";

/** One runnable command: a service's role, or a role-less command. */
export interface Command<O extends OptionMap = OptionMap> {
  /** The role (`server`, `client`), or absent for a command without roles. */
  readonly role?: string;
  /** One line on what it does. */
  readonly summary: string;
  /** Its options, keyed by camelCase name (`--help` is added). */
  readonly options: O;
  /** Whether it takes words after its options (e.g. after `--`). @default {false} */
  readonly positionals?: boolean;
  /** The usage line after `sockit <service> <role>`. @default {"[options]"} */
  readonly usage?: string;
  /** Added to an unknown option's error, e.g. where the remote command goes. */
  readonly unknownOptionHint?: string;
  /**
   * Takes a positional address as netcat users type it (`127.0.0.1:20000`,
   * `unix:/tmp/echo.sock`), in place of the options it maps to; see
   * {@linkcode PositionalAddress}.
   */
  readonly address?: PositionalAddress;
  /**
   * Runs it with the parsed values and resolves to the exit code.
   * `positionals` holds every word that is not an option; `afterDashes`, the
   * ones after `--`.
   */
  run(
    values: Values<O>,
    positionals: string[],
    afterDashes: string[],
  ): Promise<number>;
}

/** How a command takes its address as a word. */
export interface PositionalAddress {
  /** Turns the word into the option values it stands for (`{ host, port }` or `{ unix }`); throws a `UsageError` for a bad one. */
  parse(word: string): Record<string, unknown>;
  /** The options an address stands in for: none of them may be given too. */
  replaces: readonly string[];
  /**
   * Without `--`, the first word is an address only if it reads as one (the
   * exec client's words are otherwise its command). @default {false}
   */
  onlyBeforeDashes?: boolean;
}

/** A top-level word: a service with roles, or a single command. */
export interface Service {
  /** The word after `sockit`, e.g. `tcp-echo`. */
  readonly name: string;
  /** One line on what it is. */
  readonly summary: string;
  /** Its roles, or one role-less command. */
  // deno-lint-ignore no-explicit-any
  readonly commands: readonly Command<any>[];
  /** Copy-paste examples for help. */
  readonly examples: readonly string[];
  /** Extra help paragraphs: wire behaviour, bounds. */
  readonly notes?: readonly string[];
}

/**
 * Declares a command; only here so TypeScript infers `run`'s values from
 * `options`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineCommand } from "./command.ts";
 * import { port } from "./option.ts";
 * const server = defineCommand({
 *   role: "server",
 *   summary: "serve",
 *   options: { port: port({ help: "Port", min: 0, default: 20000 }) },
 *   run: (values) => Promise.resolve(values.port === 20000 ? 0 : 1),
 * });
 * assert.ok(server.role === "server");
 * ```
 */
export function defineCommand<O extends OptionMap>(
  command: Command<O>,
): Command<O> {
  return command;
}

/**
 * The `--help` a command's usage errors point at.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpPointer } from "./command.ts";
 * assert.ok(helpPointer({ name: "wait" }) === "sockit wait --help");
 * ```
 */
export function helpPointer(service: Pick<Service, "name">): string {
  return `sockit ${service.name} --help`;
}
