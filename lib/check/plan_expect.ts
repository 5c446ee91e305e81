/**
 * Reading a check's `expect:`: an outcome (`refused`, `closed`, `open`),
 * or the matchers a reply must hold and, by probe, what a TLS certificate
 * or an exec command's exit must be. Part of reading a plan
 * (`plan_reader.ts`), which it reports its problems to.
 *
 * @module
 */

import { parseMatchers } from "./expect.ts";
import {
  type Expectation,
  isObject,
  type PlanHelpers,
  type ProbeKind,
} from "./plan.ts";

/**
 * The expectation in a check's `expect:` (absent: the connection opens).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePlan } from "./plan_reader.ts";
 * const plan = parsePlan("checks:\n  - name: c\n    tcp: h:1\n    expect: { contains: ok, closes: true }\n", "p");
 * const expect = plan.checks[0]!.expect;
 * assert.ok(expect.kind === "reply" && expect.closes && expect.matchers.length === 1);
 * ```
 */
export function readExpect(
  reader: PlanHelpers,
  value: unknown,
  path: string,
  kind: ProbeKind,
): Expectation {
  const fallback: Expectation = { kind: "outcome", outcome: "open" };
  if (value === undefined) return fallback;
  if (value === "refused" || value === "closed" || value === "open") {
    return { kind: "outcome", outcome: value };
  }
  if (!isObject(value)) {
    reader.problem(
      path,
      "expect: is refused, closed, open, or a mapping (equals:, contains:, regex:, json:, bytes:, closes:, within:, ...)",
    );
    return fallback;
  }
  const known = [
    "equals",
    "contains",
    "regex",
    "json",
    "bytes",
    "closes",
    "within",
    ...(kind === "tls" ? ["cert_valid_for", "cert_subject", "cert_names"] : []),
    ...(kind === "exec" ? ["exit_code", "stdout", "stderr"] : []),
  ];
  reader.unknownKeys(value, path, known);
  const matchers = parseMatchers(
    value,
    (key, message) => reader.problem(`${path}.${key}`, message),
  );
  const expect: Expectation = {
    kind: "reply",
    matchers,
    closes: value.closes === true,
  };
  if (value.closes !== undefined && typeof value.closes !== "boolean") {
    reader.problem(`${path}.closes`, "closes: is true or false");
  }
  if (value.within !== undefined) {
    expect.withinMs = reader.duration(value.within, `${path}.within`, 0);
  }
  if (kind === "tls") {
    const cert: NonNullable<typeof expect.cert> = {};
    if (value.cert_valid_for !== undefined) {
      cert.validForMs = reader.duration(
        value.cert_valid_for,
        `${path}.cert_valid_for`,
        0,
      );
    }
    if (typeof value.cert_subject === "string") {
      const p = reader.pattern(value.cert_subject, `${path}.cert_subject`);
      if (p?.kind === "line") cert.subject = p.pattern;
    }
    if (value.cert_names !== undefined) {
      cert.names = reader.names(value.cert_names, `${path}.cert_names`);
    }
    if (Object.keys(cert).length > 0) expect.cert = cert;
  }
  if (kind === "exec") {
    const exit: NonNullable<typeof expect.exit> = { stdout: [], stderr: [] };
    if (value.exit_code !== undefined) {
      exit.code = reader.count(value.exit_code, `${path}.exit_code`, 0, 255);
    }
    for (const stream of ["stdout", "stderr"] as const) {
      const spec = value[stream];
      if (spec === undefined) continue;
      if (!isObject(spec)) {
        reader.problem(
          `${path}.${stream}`,
          `${stream}: is a mapping such as { contains: "ok" }`,
        );
        continue;
      }
      reader.unknownKeys(spec, `${path}.${stream}`, [
        "equals",
        "contains",
        "regex",
        "json",
        "bytes",
      ]);
      exit[stream] = parseMatchers(
        spec,
        (key, message) => reader.problem(`${path}.${stream}.${key}`, message),
      );
    }
    expect.exit = exit;
  }
  return expect;
}
