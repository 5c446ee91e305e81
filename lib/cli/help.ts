/**
 * The help texts, generated from the same definitions the parser reads:
 * `sockit --help` lists the services, `sockit <service> --help` each role's
 * options with their bounds and defaults, the notes and the examples. Pure.
 *
 * @module
 */

import type { Service } from "./command.ts";
import { type AnyOption, flagName } from "./option.ts";

/** Every exit code sockit uses, and what it means. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [string, string]> = [
  ["0", "ok"],
  ["1", "runtime failure"],
  ["2", "usage error"],
  ["141", "stdout closed (as after SIGPIPE)"],
  [
    "255",
    "sockit exec client only: the transport failed (unreachable, refused, broken reply), as ssh; otherwise it exits with the remote command's status (124 for its timeout, 128 + N for signal N)",
  ],
];

/** The exit-code line every help ends with. */
export const EXIT_CODES = `Exit codes: ${
  EXIT_CODE_TABLE.slice(0, 4).map(([code, meaning]) => `${code} ${meaning}`)
    .join(", ")
}.`;

/**
 * The text of `sockit --help`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topLevelHelp } from "./help.ts";
 * assert.ok(topLevelHelp([]).includes("Exit codes"));
 * ```
 */
export function topLevelHelp(services: readonly Service[]): string {
  const width = Math.max(0, ...services.map((s) => s.name.length)) + 2;
  return [
    "sockit: sockets on the command line: TCP echo, UDP uppercase, header-framed exec",
    "",
    "Usage:",
    ...services.map((s) => `  ${usageLine(s)}`),
    "  sockit <service> --help",
    "  sockit --version",
    "",
    "Services and commands:",
    ...services.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    "",
    EXIT_CODES,
  ].join("\n");
}

/** One service's line in the top-level usage: its roles, or its one command's usage. */
function usageLine(service: Service): string {
  const roles = service.commands.map((c) => c.role).filter(Boolean);
  if (roles.length > 0) {
    return `sockit ${service.name} ${roles.join("|")} [options]`;
  }
  return `sockit ${service.name} ${service.commands[0]?.usage ?? "[options]"}`
    .trimEnd();
}

/**
 * The text of `sockit <service> --help`: usage, every role's options with
 * bounds and defaults, notes and examples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serviceHelp } from "./help.ts";
 * const text = serviceHelp({ name: "x", summary: "X", commands: [], examples: ["sockit x"] });
 * assert.ok(text.includes("sockit x"));
 * ```
 */
export function serviceHelp(service: Service): string {
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
        ? `${service.name} ${command.role} options (${command.summary}):`
        : "Options:",
    );
    const entries = Object.entries(
      command.options as Record<string, AnyOption>,
    );
    for (const [key, option] of entries) {
      if (option.env === undefined) lines.push(formatOptionHelp(key, option));
    }
    lines.push(`  ${"-h, --help".padEnd(28)} Show this help`);
    for (const [, option] of entries) {
      if (option.env !== undefined) lines.push(formatEnvHelp(option));
    }
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

/**
 * The help line of one option, with its bounds, its default and the
 * options it needs or cannot go with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatOptionHelp } from "./help.ts";
 * import { port } from "./option.ts";
 * const line = formatOptionHelp("port", port({ help: "Port", value: "PORT", min: 0, default: 20000 }));
 * assert.ok(line.includes("--port PORT") && line.includes("default 20000"));
 * import { flag } from "./option.ts";
 * const udp = formatOptionHelp("loss", flag({ help: "Lose", requires: { udp: "add --udp" } }));
 * assert.ok(udp.endsWith("(needs --udp)"));
 * ```
 */
export function formatOptionHelp(key: string, option: AnyOption): string {
  const long = option.isFlag
    ? `--${flagName(key)}`
    : `--${flagName(key)} ${option.value ?? "VALUE"}`;
  const flag = option.short ? `-${option.short}, ${long}` : `    ${long}`;
  return `  ${flag.padEnd(28)} ${option.help}${notes(option)}`;
}

function formatEnvHelp(option: AnyOption): string {
  return `  ${`env ${option.env}`.padEnd(28)} ${option.help}`;
}

function notes(option: AnyOption): string {
  const values: string[] = [];
  if (option.bounds !== undefined) values.push(option.bounds);
  if (option.shownDefault !== undefined) {
    values.push(`default ${option.shownDefault}`);
  }
  // The relations the parser enforces, as declared on the option.
  const flags = (keys: Readonly<Record<string, string>> | undefined) =>
    Object.keys(keys ?? {}).map((key) => `--${flagName(key)}`).join(", ");
  const parts = values.length > 0 ? [values.join(", ")] : [];
  if (option.requires) parts.push(`needs ${flags(option.requires)}`);
  if (option.conflicts) parts.push(`not with ${flags(option.conflicts)}`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}
