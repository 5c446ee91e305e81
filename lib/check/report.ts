/**
 * What CI reads of a `sockit check` run: a line per check for a person
 * (and a summary line), or the same facts as JSON, JUnit XML, TAP, or
 * GitHub Actions annotations with a Markdown table for the step summary.
 * Pure: results in, text out.
 *
 * @module
 */

import type { CheckResult, PlanResult } from "./run.ts";

/** The formats `--format` takes. */
export const FORMATS = ["text", "json", "junit", "tap", "github"] as const;
/** One of {@linkcode FORMATS}. */
export type Format = typeof FORMATS[number];

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * A person's line for one finished check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLine } from "./report.ts";
 * const spec = { name: "echo", kind: "tcp", address: "127.0.0.1:1", line: 3 } as never;
 * assert.match(checkLine({ spec, address: "127.0.0.1:1", pass: true, ms: 1.5, tries: 1 }), /^ok\s+echo/);
 * ```
 */
export function checkLine(result: CheckResult): string {
  const { spec } = result;
  const tries = result.tries > 1 ? `, ${result.tries} tries` : "";
  const head = `${
    result.pass ? "ok  " : "FAIL"
  } ${spec.name} (${spec.kind} ${result.address}, ${
    Math.round(result.ms)
  } ms${tries})`;
  if (result.pass) return head;
  const lines = [
    head,
    `     expected: ${result.expected ?? "?"}`,
    `     got:      ${result.got ?? "?"}`,
  ];
  if (result.deadService) {
    lines.push(
      `     service "${result.deadService.name}" had exited; its last lines:`,
      ...result.deadService.lines.map((l) => `       | ${l}`),
    );
  }
  return lines.join("\n");
}

/**
 * The last line of a person's report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryLine } from "./report.ts";
 * assert.equal(summaryLine({ results: [], interrupted: false, ms: 1200 }), "0 checks: 0 passed, 0 failed (1.2 s)");
 * ```
 */
export function summaryLine(result: PlanResult): string {
  const passed = result.results.filter((r) => r.pass).length;
  const failed = result.results.length - passed;
  const what = result.interrupted
    ? " (interrupted: services stopped)"
    : result.serviceFailure
    ? " (a service did not start)"
    : "";
  const count = result.results.length;
  return `${count} check${
    count === 1 ? "" : "s"
  }: ${passed} passed, ${failed} failed (${
    Number((result.ms / 1000).toFixed(1))
  } s)${what}`;
}

/**
 * The run as one JSON object: each check's name, line, result and times.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJson } from "./report.ts";
 * assert.equal(JSON.parse(toJson({ results: [], interrupted: false, ms: 5 }, "p.yaml")).passed, 0);
 * ```
 */
export function toJson(result: PlanResult, plan: string): string {
  return JSON.stringify({
    plan,
    passed: result.results.filter((r) => r.pass).length,
    failed: result.results.filter((r) => !r.pass).length,
    interrupted: result.interrupted,
    ...(result.serviceFailure
      ? { service_failure: result.serviceFailure }
      : {}),
    duration_ms: Math.round(result.ms),
    checks: result.results.map((r) => ({
      name: r.spec.name,
      line: r.spec.line,
      kind: r.spec.kind,
      address: r.address,
      pass: r.pass,
      tries: r.tries,
      duration_ms: Math.round(r.ms),
      ...(r.pass ? {} : { expected: r.expected, got: r.got }),
      ...(r.deadService ? { dead_service: r.deadService } : {}),
    })),
  }) + "\n";
}

const xml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) =>
      ({
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        '"': "&quot;",
        "'": "&apos;",
      })[c]!,
    // deno-lint-ignore no-control-regex -- XML 1.0 has no place for control bytes.
  ).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");

/**
 * The run as a JUnit XML report: one suite (the plan), one test case per
 * check, a failure with its message for each that failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJunit } from "./report.ts";
 * assert.match(toJunit({ results: [], interrupted: false, ms: 5 }, "p.yaml"), /<testsuite name="p.yaml" tests="0"/);
 * ```
 */
export function toJunit(result: PlanResult, plan: string): string {
  const failed = result.results.filter((r) => !r.pass).length;
  const errors = result.serviceFailure ? 1 : 0;
  const cases = result.results.map((r) => {
    const open = `    <testcase name="${xml(r.spec.name)}" classname="${
      xml(plan)
    }" time="${seconds(r.ms)}" file="${xml(plan)}" line="${r.spec.line}"`;
    if (r.pass) return `${open}/>`;
    const message = `expected ${r.expected}; got ${r.got}`;
    return `${open}>\n      <failure message="${xml(message)}" type="check">${
      xml(message)
    }</failure>\n    </testcase>`;
  });
  if (result.serviceFailure) {
    cases.push(
      `    <testcase name="services" classname="${
        xml(plan)
      }" time="0">\n      <error message="${
        xml(result.serviceFailure.message)
      }" type="service">${
        xml(
          [result.serviceFailure.message, ...result.serviceFailure.lines].join(
            "\n",
          ),
        )
      }</error>\n    </testcase>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sockit check" tests="${
      result.results.length + errors
    }" failures="${failed}" errors="${errors}" time="${seconds(result.ms)}">`,
    `  <testsuite name="${xml(plan)}" tests="${
      result.results.length + errors
    }" failures="${failed}" errors="${errors}" time="${seconds(result.ms)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

/**
 * The run as TAP version 14: a plan line, one test point per check, the
 * expectation of a failed one in a YAML block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toTap } from "./report.ts";
 * assert.match(toTap({ results: [], interrupted: false, ms: 5 }), /^TAP version 14\n1\.\.0\n/);
 * ```
 */
export function toTap(result: PlanResult): string {
  const lines = ["TAP version 14", `1..${result.results.length}`];
  result.results.forEach((r, i) => {
    const name = r.spec.name.replace(/#/g, "\\#");
    lines.push(`${r.pass ? "ok" : "not ok"} ${i + 1} - ${name}`);
    if (!r.pass) {
      lines.push(
        "  ---",
        `  message: ${JSON.stringify(`expected ${r.expected}`)}`,
        `  got: ${JSON.stringify(r.got ?? "")}`,
        `  line: ${r.spec.line}`,
        "  ...",
      );
    }
  });
  if (result.serviceFailure) {
    lines.push(
      `Bail out! ${result.serviceFailure.message.replace(/\n/g, " ")}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * GitHub Actions workflow commands: an `::error` annotation on the plan's
 * line for each failed check (and for a service that did not start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toGithub } from "./report.ts";
 * const spec = { name: "echo", kind: "tcp", address: "a", line: 7 } as never;
 * assert.match(toGithub({ results: [{ spec, address: "a", pass: false, ms: 1, tries: 1, expected: "x", got: "y" }], interrupted: false, ms: 1 }, "p.yaml"), /^::error file=p\.yaml,line=7,title=echo::expected x; got y/);
 * ```
 */
export function toGithub(result: PlanResult, plan: string): string {
  const escape = (text: string) =>
    text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const property = (text: string) =>
    escape(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
  const lines = result.results.filter((r) => !r.pass).map((r) =>
    `::error file=${property(plan)},line=${r.spec.line},title=${
      property(r.spec.name)
    }::${escape(`expected ${r.expected}; got ${r.got}`)}`
  );
  if (result.serviceFailure) {
    lines.push(
      `::error file=${property(plan)}::${
        escape(result.serviceFailure.message)
      }`,
    );
  }
  return lines.map((l) => l + "\n").join("");
}

/**
 * A Markdown table of the run, for `$GITHUB_STEP_SUMMARY`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toMarkdown } from "./report.ts";
 * assert.match(toMarkdown({ results: [], interrupted: false, ms: 5 }, "p.yaml"), /\| check \| result \|/);
 * ```
 */
export function toMarkdown(result: PlanResult, plan: string): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `### sockit check ${cell(plan)}: ${summaryLine(result)}`,
    "",
    "| check | result | time | detail |",
    "| --- | --- | --- | --- |",
    ...result.results.map((r) =>
      `| ${cell(r.spec.name)} | ${r.pass ? "pass" : "**fail**"} | ${
        Math.round(r.ms)
      } ms | ${r.pass ? "" : cell(`expected ${r.expected}; got ${r.got}`)} |`
    ),
    "",
  ].join("\n");
}
