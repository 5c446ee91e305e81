/**
 * Shell completions for bash, zsh and fish, generated from the command
 * definitions: the services, each service's roles, each command's options,
 * the values of an option that takes one from a fixed list
 * (`--log-format text|json`), and file or directory names where an option's
 * value is a `FILE`, `PATH` or `DIR`. Pure: a text out.
 *
 * @module
 */

import type { Command, Service } from "./command.ts";
import { type AnyOption, flagName } from "./option.ts";

/** The shells sockit writes completions for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** What completes after one option: nothing (a flag), a word list, files or directories. */
type ValueKind = "none" | "any" | "file" | "dir" | readonly string[];

interface CommandSpec {
  /** `tcp-echo server`, or `demo`. */
  path: string[];
  options: Array<
    { name: string; short?: string; help: string; value: ValueKind }
  >;
}

function valueKind(option: AnyOption): ValueKind {
  if (option.isFlag) return "none";
  if (option.choices) return option.choices;
  if (option.value === "DIR") return "dir";
  if (option.value === "FILE" || option.value === "PATH") return "file";
  return "any";
}

function specs(services: readonly Service[]): CommandSpec[] {
  return services.flatMap((service) =>
    service.commands.map((command: Command) => ({
      path: [service.name, command.role].filter((w): w is string => !!w),
      options: [
        ...Object.entries(command.options as Record<string, AnyOption>)
          .filter(([, option]) => option.env === undefined)
          .map(([key, option]) => ({
            name: `--${flagName(key)}`,
            ...(option.short ? { short: `-${option.short}` } : {}),
            help: option.help,
            value: valueKind(option),
          })),
        {
          name: "--help",
          short: "-h",
          help: "Show this help",
          value: "none" as const,
        },
      ],
    }))
  );
}

function roles(service: Service): string[] {
  return service.commands.map((c) => c.role).filter((r): r is string => !!r);
}

/**
 * The completion script for `shell`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { completionScript } from "./completions.ts";
 * assert.match(completionScript("bash", []), /complete -F _sockit sockit/);
 * ```
 */
export function completionScript(
  shell: Shell,
  services: readonly Service[],
): string {
  switch (shell) {
    case "bash":
      return bashScript(services);
    case "zsh":
      return zshScript(services);
    case "fish":
      return fishScript(services);
  }
}

const HEADER =
  "# sockit completions, generated from its command definitions (sockit completions SHELL).";

function words(list: readonly string[]): string {
  return list.join(" ");
}

/** The option cases shared by bash and zsh: which command, which options, which values. */
function shellCases(services: readonly Service[]): {
  commandCase: string[];
  valueCase: string[];
} {
  const commandCase: string[] = [];
  const valueCase: string[] = [];
  for (const spec of specs(services)) {
    const key = spec.path.join(" ");
    const names = spec.options.flatMap((o) =>
      o.short ? [o.name, o.short] : [o.name]
    );
    commandCase.push(`    "${key}") opts="${words(names)}" ;;`);
    for (const option of spec.options) {
      if (option.value === "none") continue;
      const kind = typeof option.value === "string"
        ? option.value
        : `words:${words(option.value)}`;
      const forms = option.short
        ? `"${key} ${option.name}"|"${key} ${option.short}"`
        : `"${key} ${option.name}"`;
      valueCase.push(`    ${forms}) kind="${kind}" ;;`);
    }
  }
  return { commandCase, valueCase };
}

function serviceRoles(services: readonly Service[]): string[] {
  return services.filter((s) => roles(s).length > 0).map((s) =>
    `    ${s.name}) roles="${words(roles(s))}" ;;`
  );
}

function bashScript(services: readonly Service[]): string {
  const { commandCase, valueCase } = shellCases(services);
  return `${HEADER}
# Load it: source <(sockit completions bash)
_sockit() {
  local cur prev service role key opts kind roles
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${
    words(services.map((s) => s.name))
  } --help --version" -- "$cur"))
    return
  fi
  service="\${COMP_WORDS[1]}"
  roles=""
  case "$service" in
${serviceRoles(services).join("\n")}
  esac
  if [ -n "$roles" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W "$roles --help" -- "$cur"))
    return
  fi
  key="$service"
  if [ -n "$roles" ]; then key="$service \${COMP_WORDS[2]}"; fi
  kind=""
  case "$key $prev" in
${valueCase.join("\n")}
  esac
  case "$kind" in
    file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    any) return ;;
    words:*) COMPREPLY=($(compgen -W "\${kind#words:}" -- "$cur")); return ;;
  esac
  opts=""
  case "$key" in
${commandCase.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _sockit sockit
`;
}

function zshScript(services: readonly Service[]): string {
  const { commandCase, valueCase } = shellCases(services);
  return `#compdef sockit
${HEADER}
# Load it: sockit completions zsh > "\${fpath[1]}/_sockit", or source <(sockit completions zsh)
_sockit() {
  local cur prev service key opts kind roles
  cur="\${words[CURRENT]}"
  prev="\${words[CURRENT-1]}"
  if (( CURRENT == 2 )); then
    compadd -- ${words(services.map((s) => s.name))} --help --version
    return
  fi
  service="\${words[2]}"
  roles=""
  case "$service" in
${serviceRoles(services).join("\n")}
  esac
  if [[ -n "$roles" ]] && (( CURRENT == 3 )); then
    compadd -- \${=roles} --help
    return
  fi
  key="$service"
  if [[ -n "$roles" ]]; then key="$service \${words[3]}"; fi
  kind=""
  case "$key $prev" in
${valueCase.join("\n")}
  esac
  case "$kind" in
    file) _files; return ;;
    dir) _files -/; return ;;
    any) return ;;
    words:*) compadd -- \${=kind#words:}; return ;;
  esac
  opts=""
  case "$key" in
${commandCase.join("\n")}
  esac
  compadd -- \${=opts}
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _sockit "$@"
else
  compdef _sockit sockit
fi
`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function fishScript(services: readonly Service[]): string {
  const out = [
    HEADER,
    "# Load it: sockit completions fish | source",
    "complete -c sockit -f",
  ];
  const names = words(services.map((s) => s.name));
  for (const service of services) {
    out.push(
      `complete -c sockit -n "not __fish_seen_subcommand_from ${names}" -a ${service.name} -d ${
        fishQuote(service.summary)
      }`,
    );
    const serviceRoles = roles(service);
    for (const command of service.commands) {
      if (!command.role) continue;
      out.push(
        `complete -c sockit -n "__fish_seen_subcommand_from ${service.name}; and not __fish_seen_subcommand_from ${
          words(serviceRoles)
        }" -a ${command.role} -d ${fishQuote(command.summary)}`,
      );
    }
  }
  for (const spec of specs(services)) {
    const [service, role] = spec.path;
    const when = role
      ? `__fish_seen_subcommand_from ${service}; and __fish_seen_subcommand_from ${role}`
      : `__fish_seen_subcommand_from ${service}`;
    for (const option of spec.options) {
      const parts = [
        "complete -c sockit",
        `-n "${when}"`,
        `-l ${option.name.slice(2)}`,
      ];
      if (option.short) parts.push(`-s ${option.short.slice(1)}`);
      if (Array.isArray(option.value)) {
        parts.push(`-x -a ${fishQuote(words(option.value))}`);
      } else if (option.value === "file") {
        parts.push("-r -F");
      } else if (option.value === "dir") {
        parts.push(`-x -a "(__fish_complete_directories)"`);
      } else if (option.value === "any") {
        parts.push("-x");
      }
      parts.push(`-d ${fishQuote(option.help)}`);
      out.push(parts.join(" "));
    }
  }
  return out.join("\n") + "\n";
}
