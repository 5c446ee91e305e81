import assert from "node:assert/strict";
import { serviceHelp, topLevelHelp } from "../../lib/cli/help.ts";
import { type AnyOption, flagName } from "../../lib/cli/option.ts";
import { SERVICES } from "../../lib/services.ts";

/** The option lines of one role's section of a service's help. */
function sectionLines(help: string, heading: string): string[] {
  const lines = help.split("\n");
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `no section "${heading}" in:\n${help}`);
  const end = lines.findIndex((l, i) => i > start && l === "");
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

Deno.test("each --help lists exactly the options each command declares, with their defaults and bounds", async (t) => {
  for (const service of SERVICES) {
    const help = serviceHelp(service);
    for (const command of service.commands) {
      const heading = command.role
        ? `${service.name} ${command.role} options`
        : "Options:";
      await t.step(`${service.name} ${command.role ?? ""}`, () => {
        const lines = sectionLines(help, heading);
        const options = Object.entries(
          command.options as Record<string, AnyOption>,
        );
        const shown = lines.map((l) =>
          l.trim().replace(/^-\w, /, "").split(/\s+/).slice(0, 2)
        );
        const expected = [
          ...options.filter(([, o]) => o.env === undefined).map(([key]) =>
            `--${flagName(key)}`
          ),
          "--help",
          ...options.filter(([, o]) => o.env !== undefined).map(([, o]) =>
            `env ${o.env}`
          ),
        ];
        assert.deepEqual(
          shown.map(([first, second]) =>
            first === "env" ? `env ${second}` : first
          ),
          expected,
        );
        for (const [key, option] of options) {
          const line = lines.find((l) => {
            const text = l.trim().replace(/^-\w, /, "");
            return option.env
              ? text.startsWith(`env ${option.env} `)
              : text.split(/\s+/)[0] === `--${flagName(key)}`;
          });
          assert.ok(line, `--${flagName(key)}`);
          assert.ok(line.includes(option.help), line);
          if (option.short) {
            assert.ok(line.trim().startsWith(`-${option.short}, --`), line);
          }
          if (option.shownDefault !== undefined) {
            assert.match(
              line,
              new RegExp(`default ${RegExp.escape(option.shownDefault)}[);]`),
            );
          } else assert.ok(!line.includes("default "), line);
          if (option.bounds !== undefined) {
            assert.ok(line.includes(`(${option.bounds}`), line);
          }
          // Each relation the parser enforces is said on the option's line.
          const named = (keys?: Readonly<Record<string, string>>) =>
            Object.keys(keys ?? {}).map((k) => `--${flagName(k)}`).join(", ");
          if (option.requires) {
            assert.ok(line.includes(`needs ${named(option.requires)}`), line);
          }
          if (option.conflicts) {
            assert.ok(
              line.includes(`not with ${named(option.conflicts)})`),
              line,
            );
          }
        }
      });
    }
  }
});

Deno.test("every relation between options names an option its command declares", () => {
  for (const service of SERVICES) {
    for (const command of service.commands) {
      const options = command.options as Record<string, AnyOption>;
      for (const [key, option] of Object.entries(options)) {
        const related = [
          ...Object.keys(option.conflicts ?? {}),
          ...Object.keys(option.requires ?? {}),
        ];
        for (const other of related) {
          assert.ok(
            other in options,
            `${service.name} ${command.role ?? ""}: --${
              flagName(key)
            } names "${other}", which the command does not declare`,
          );
        }
      }
    }
  }
});

Deno.test("sockit --help lists every service", () => {
  const help = topLevelHelp(SERVICES);
  for (const service of SERVICES) {
    const line = help.split("\n").find((l) =>
      l.startsWith(`  ${service.name} `)
    );
    assert.equal(
      line?.trim().replace(/ +/, " "),
      `${service.name} ${service.summary}`,
    );
  }
});
