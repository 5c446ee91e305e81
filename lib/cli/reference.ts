/**
 * The reference a user reads away from the terminal, generated from the
 * same command definitions that build `--help` and drive the parser: a
 * Markdown reference (`docs/REFERENCE.md`) and a man page (`docs/sockit.1`).
 * What a definition says (options, defaults, bounds, relations, the
 * environment, examples, exit codes) is never typed again by hand. Pure.
 *
 * @module
 */

import type { Command, Service } from "./command.ts";
import { EXIT_CODE_TABLE } from "./help.ts";
import { type AnyOption, flagName } from "./option.ts";

/** One bound, as `lib/limits.ts` lists it. */
export interface LimitRow {
  /** What is bounded. */
  what: string;
  /** Its default. */
  value: string;
  /** The flag that changes it, or `fixed`. */
  flag: string;
}

/** What the reference says of one option, in words. */
interface OptionLine {
  /** `-p, --port PORT`, or `env SOCKIT_TOKEN`. */
  form: string;
  /** Help, bounds, default and relations. */
  text: string;
}

/** The commands of a service with their full names: `tcp-echo server`. */
function namedCommands(service: Service): Array<[string, Command]> {
  return service.commands.map((c) => [
    [service.name, c.role].filter(Boolean).join(" "),
    c,
  ]);
}

function optionLines(command: Command): OptionLine[] {
  const options = Object.entries(command.options as Record<string, AnyOption>);
  const lines = options.map(([key, option]) => ({
    form: option.env !== undefined ? `env ${option.env}` : [
      option.short ? `-${option.short}, ` : "",
      `--${flagName(key)}`,
      option.isFlag ? "" : ` ${option.value ?? "VALUE"}`,
    ].join(""),
    text: describe(option),
  }));
  lines.push({ form: "-h, --help", text: "Show the help and exit 0." });
  return lines;
}

function describe(option: AnyOption): string {
  const parts = [option.help.replace(/\.?$/, ".")];
  if (option.bounds !== undefined) {
    parts.push(`${option.choices ? "One of" : "Range"}: ${option.bounds}.`);
  }
  if (option.shownDefault !== undefined) {
    parts.push(`Default: ${option.shownDefault}.`);
  }
  if (option.repeatable) parts.push("May be given more than once.");
  if (option.required !== undefined) parts.push("Required.");
  for (const other of Object.keys(option.requires ?? {})) {
    parts.push(`Needs --${flagName(other)}.`);
  }
  for (const other of Object.keys(option.conflicts ?? {})) {
    parts.push(`Not with --${flagName(other)}.`);
  }
  return parts.join(" ");
}

/** The environment variables the commands read, each with who reads it. */
function environment(
  services: readonly Service[],
): Array<[string, string]> {
  const found = new Map<string, string>();
  for (const service of services) {
    for (const [name, command] of namedCommands(service)) {
      for (
        const option of Object.values(
          command.options as Record<string, AnyOption>,
        )
      ) {
        if (option.env === undefined) continue;
        const who = found.get(option.env);
        found.set(
          option.env,
          who ? `${who}, ${name}` : `${option.help} (read by ${name}`,
        );
      }
    }
  }
  return [...found].map(([env, text]) => [env, `${text})`]);
}

/**
 * `docs/REFERENCE.md`: every command, role and option, with defaults,
 * bounds, relations and environment variables, the examples and the exit
 * codes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceMarkdown } from "./reference.ts";
 * assert.match(referenceMarkdown([]), /^# sockit reference/);
 * ```
 */
export function referenceMarkdown(
  services: readonly Service[],
  limits: readonly LimitRow[] = [],
): string {
  const out = [
    "# sockit reference",
    "",
    "<!-- Generated from the command definitions by `deno task docs`; do not edit. -->",
    "",
    "Every command, its options with their defaults and bounds, and the exit",
    "codes. `sockit <command> --help` prints the same from the same source.",
    "",
    "## Commands",
    "",
    ...services.map((s) =>
      `- [\`sockit ${s.name}\`](#sockit-${s.name}): ${s.summary}`
    ),
  ];
  for (const service of services) {
    out.push("", `## sockit ${service.name}`, "", `${service.summary}.`, "");
    out.push("```text");
    for (const [name, command] of namedCommands(service)) {
      out.push(`sockit ${name} ${command.usage ?? "[options]"}`);
    }
    out.push("```");
    for (const [name, command] of namedCommands(service)) {
      out.push("", `### sockit ${name}`, "", `${command.summary}.`, "");
      out.push("| option | what it does |", "| --- | --- |");
      for (const line of optionLines(command)) {
        out.push(`| \`${line.form}\` | ${escapeCell(line.text)} |`);
      }
    }
    for (const note of service.notes ?? []) out.push("", note);
    out.push("", "Examples:", "", "```sh", ...service.examples, "```");
  }
  out.push("", "## Environment", "");
  for (const [env, text] of environment(services)) {
    out.push(`- \`${env}\`: ${text}.`);
  }
  if (limits.length > 0) {
    out.push(
      "",
      "## Limits",
      "",
      "Every bound, its default and the flag that changes it, read from the",
      "constants the code uses. Why some are what they are: the guide's",
      "[Limits](GUIDE.md#limits).",
      "",
      "| what | default | flag |",
      "| --- | --- | --- |",
    );
    for (const limit of limits) {
      out.push(
        `| ${escapeCell(limit.what)} | ${escapeCell(limit.value)} | ${
          escapeCell(limit.flag)
        } |`,
      );
    }
  }
  out.push("", "## Exit codes", "", "| code | meaning |", "| --- | --- |");
  for (const [code, meaning] of EXIT_CODE_TABLE) {
    out.push(`| ${code} | ${meaning} |`);
  }
  return out.join("\n") + "\n";
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/**
 * `docs/sockit.1`: the same reference as a man page (`man -l docs/sockit.1`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manPage } from "./reference.ts";
 * assert.match(manPage([], "0.1.0", "2026-12-07"), /^\.TH SOCKIT 1 "2026-12-07"/);
 * ```
 */
export function manPage(
  services: readonly Service[],
  version: string,
  date = "",
  limits: readonly LimitRow[] = [],
): string {
  const out = [
    `.TH SOCKIT 1 "${date}" "sockit ${version}" "User Commands"`,
    ".SH NAME",
    "sockit \\- sockets on the command line: echo, uppercase, chat, framed exec,",
    "relay, listen, wait",
    ".SH SYNOPSIS",
  ];
  for (const service of services) {
    for (const [name, command] of namedCommands(service)) {
      if (out.at(-1) !== ".SH SYNOPSIS") out.push(".PP");
      out.push(`.B sockit ${roff(name)}`, roff(command.usage ?? "[options]"));
    }
  }
  out.push(
    ".SH DESCRIPTION",
    roff(
      "sockit is one program with a command per service. Servers print one ready line on stdout with the real address, and log to stderr; clients exit with a status a script can test.",
    ),
    ".SH COMMANDS",
  );
  for (const service of services) {
    out.push(`.SS sockit ${roff(service.name)}`, roff(`${service.summary}.`));
    for (const [name, command] of namedCommands(service)) {
      out.push(
        ".PP",
        `.B sockit ${roff(name)}`,
        roff(`\u2014 ${command.summary}.`),
      );
      for (const line of optionLines(command)) {
        out.push(".TP", `.B ${roff(line.form)}`, roff(line.text));
      }
    }
    for (const note of service.notes ?? []) out.push(".PP", roff(note));
    out.push(".PP", "Examples:", ".PP", ".nf", ".RS");
    out.push(...service.examples.map(roff), ".RE", ".fi");
  }
  out.push(".SH ENVIRONMENT");
  for (const [env, text] of environment(services)) {
    out.push(".TP", `.B ${env}`, roff(`${text}.`));
  }
  if (limits.length > 0) {
    out.push(".SH LIMITS");
    for (const limit of limits) {
      out.push(
        ".TP",
        roff(limit.what.replaceAll("`", "")),
        roff(`${limit.value} (${limit.flag})`.replaceAll("`", "")),
      );
    }
  }
  out.push(".SH EXIT STATUS");
  for (const [code, meaning] of EXIT_CODE_TABLE) {
    out.push(".TP", `.B ${code}`, roff(`${meaning}.`));
  }
  out.push(
    ".SH SEE ALSO",
    roff(
      "The guide (docs/GUIDE.md), the security model (docs/SECURITY.md) and the exec wire format (docs/PROTOCOL.md) in sockit's source.",
    ),
  );
  return out.join("\n") + "\n";
}

/**
 * Text as roff reads it: backslashes and hyphens escaped, lines of at most
 * 80 bytes broken at spaces, none starting with a dot or a quote.
 */
function roff(text: string): string {
  const escaped = text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
  const lines: string[] = [];
  for (const paragraph of escaped.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > 78) {
        lines.push(line);
        line = word;
      } else {
        line = line === "" ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines.map((line) => /^[.']/.test(line) ? `\\&${line}` : line)
    .join("\n");
}
