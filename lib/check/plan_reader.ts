/**
 * Reading a `sockit check` plan: the YAML (or JSON) text parsed with the
 * `yaml` package (which knows every node's line and column, and refuses a
 * plan with too many aliases), then every key and value checked before
 * anything starts, each mistake reported as `FILE:LINE:COLUMN: what is
 * wrong; what to write`. A test holds this reader and
 * `docs/check.schema.json` to the same plans. Pure: text in, a plan out.
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
} from "npm:yaml@2.9.1";
import { ShellWordsError, splitWords } from "../exec/shell_words.ts";
import { findCycle } from "../io/graph.ts";
import {
  type CheckSpec,
  DEFAULT_READY_TIMEOUT_MS,
  type Expectation,
  isObject,
  MAX_PLAN_ALIASES,
  MAX_PLAN_BYTES,
  type Plan,
  PlanError,
  type PlanHelpers,
  type PlanProblem,
  type ProbeKind,
  type Ready,
  type ServiceSpec,
} from "./plan.ts";
import { readCheck } from "./plan_check.ts";
import { readExpect } from "./plan_expect.ts";
import { parseDuration } from "./values.ts";

/** Where each value of the document is: `checks.0.expect` -> line and column. */
type Places = Map<string, { line: number; column: number }>;

/**
 * Reads a plan. `vars` (from `--var`) override the plan's own; `env` is
 * what `${env.NAME}` may name. Throws a {@linkcode PlanError} listing every
 * mistake.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePlan } from "./plan_reader.ts";
 * const plan = parsePlan("checks:\n  - name: up\n    tcp: 127.0.0.1:1\n    expect: refused\n", "p.yaml");
 * assert.ok(plan.checks[0]!.kind === "tcp" && plan.checks[0]!.line === 2);
 * ```
 */
export function parsePlan(
  text: string,
  file: string,
  vars: Record<string, string> = {},
  env: (name: string) => string | undefined = () => undefined,
): Plan {
  if (text.length > MAX_PLAN_BYTES) {
    throw new PlanError(file, [{
      line: 1,
      column: 1,
      message:
        `the plan is over ${MAX_PLAN_BYTES} bytes; split it in smaller plans`,
    }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new PlanError(
      file,
      doc.errors.map((e) => ({
        ...at(e.pos[0]),
        message: `${e.message.split("\n")[0]}; the plan must be YAML (or JSON)`,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_PLAN_ALIASES });
  } catch (err) {
    throw new PlanError(file, [{
      line: 1,
      column: 1,
      message: `${
        (err as Error).message
      }: use fewer aliases (at most ${MAX_PLAN_ALIASES})`,
    }]);
  }
  const places = placesOf(doc.contents, at);
  const reader = new PlanReader(file, places, vars, env);
  const plan = reader.plan(value);
  if (reader.problems.length > 0) throw new PlanError(file, reader.problems);
  return plan!;
}

/** Walks the YAML nodes (iteratively: never recursion on input) and records where each path starts. */
function placesOf(
  root: unknown,
  at: (offset: number) => { line: number; column: number },
): Places {
  const places: Places = new Map();
  const stack: Array<{ node: unknown; path: string }> = [{
    node: root,
    path: "",
  }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (!node || isAlias(node)) continue;
    const range = (node as { range?: [number, number] }).range;
    if (range && !places.has(path)) places.set(path, at(range[0]));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : "?";
        const child = path === "" ? key : `${path}.${key}`;
        const keyRange = (pair.key as { range?: [number, number] })?.range;
        if (keyRange) places.set(`${child}#key`, at(keyRange[0]));
        stack.push({ node: pair.value, path: child });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) =>
        stack.push({ node: item, path: path === "" ? `${i}` : `${path}.${i}` })
      );
    }
  }
  return places;
}

const TOP_KEYS = ["vars", "services", "checks"];
const SERVICE_KEYS = ["run", "ready", "timeout", "env"];
const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * Reads the plain value into a plan, collecting problems with their
 * places. Its helpers (`problem`, `unknownKeys`, `duration`, ...) serve
 * `plan_expect.ts` too.
 */
export class PlanReader implements PlanHelpers {
  readonly problems: PlanProblem[] = [];
  #vars: Record<string, string> = {};
  #serviceNames = new Set<string>();
  /** The services declared so far: a service may use their ports. */
  #started = new Set<string>();

  constructor(
    readonly file: string,
    readonly places: Places,
    readonly cliVars: Record<string, string>,
    readonly env: (name: string) => string | undefined,
  ) {}

  problem(path: string, message: string, key = false): void {
    const place = (key ? this.places.get(`${path}#key`) : undefined) ??
      this.places.get(path) ?? this.#nearest(path);
    this.problems.push({ ...place, message });
  }

  #nearest(path: string): { line: number; column: number } {
    for (let p = path; p !== ""; p = p.replace(/\.?[^.]*$/, "")) {
      const place = this.places.get(p);
      if (place) return place;
    }
    return { line: 1, column: 1 };
  }

  line(path: string): number {
    return (this.places.get(path) ?? this.#nearest(path)).line;
  }

  plan(value: unknown): Plan | undefined {
    if (!isObject(value)) {
      this.problem(
        "",
        "a plan is a mapping with `checks:` (and `services:`, `vars:`); see docs/GUIDE.md",
      );
      return undefined;
    }
    this.unknownKeys(value, "", TOP_KEYS);
    this.#vars = { ...this.strings(value.vars, "vars"), ...this.cliVars };
    const services = this.services(value.services);
    const checks = this.checks(value.checks);
    return { file: this.file, vars: this.#vars, services, checks };
  }

  unknownKeys(
    value: Record<string, unknown>,
    path: string,
    known: readonly string[],
  ): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => similar(k, key));
      this.problem(
        path === "" ? key : `${path}.${key}`,
        `unknown key "${key}"${
          near
            ? `; did you mean "${near}"?`
            : `; use one of ${known.join(", ")}`
        }`,
        true,
      );
    }
  }

  strings(value: unknown, path: string): Record<string, string> {
    if (value === undefined) return {};
    if (!isObject(value)) {
      this.problem(path, `"${path}" is a mapping of names to text`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === "string" || typeof v === "number") out[key] = String(v);
      else this.problem(`${path}.${key}`, `"${key}" must be text or a number`);
    }
    return out;
  }

  /** Checks the `${...}` in `text`; the text is filled in at run time. */
  template(text: string, path: string, inService: boolean): string {
    for (const [, name] of text.matchAll(VARIABLE)) {
      const parts = name!.split(".");
      if (parts[0] === "env" && parts.length === 2) {
        if (this.env(parts[1]!) === undefined) {
          this.problem(
            path,
            `\${${name}} is not set in the environment; export ${
              parts[1]
            } or write the value`,
          );
        }
      } else if (parts[0] === "vars" && parts.length === 2) {
        if (!(parts[1]! in this.#vars)) {
          this.problem(
            path,
            `unknown variable \${${name}}; define it under vars: or pass --var ${
              parts[1]
            }=VALUE`,
          );
        }
      } else if (
        parts[0] === "services" && parts.length === 3 && parts[2] === "port"
      ) {
        if (inService && !this.#started.has(parts[1]!)) {
          this.problem(
            path,
            `\${${name}} is known once "${
              parts[1]
            }" is ready: a service may name only the services before it`,
          );
        } else if (!this.#serviceNames.has(parts[1]!)) {
          this.problem(
            path,
            `unknown service "${parts[1]}" in \${${name}}; services: ${
              [...this.#serviceNames].join(", ") || "none"
            }`,
          );
        }
      } else {
        this.problem(
          path,
          `unknown variable \${${name}}; use \${vars.NAME}, \${env.NAME} or \${services.NAME.port}`,
        );
      }
    }
    return text;
  }

  duration(value: unknown, path: string, fallback: number): number {
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.problem(
        path,
        `"${String(value)}" is not a duration; write 200ms, 5s, 2m, 1h or 30d`,
      );
      return fallback;
    }
    return ms;
  }

  services(value: unknown): ServiceSpec[] {
    if (value === undefined) return [];
    if (!isObject(value)) {
      this.problem("services", "services: is a mapping of names to services");
      return [];
    }
    for (const name of Object.keys(value)) this.#serviceNames.add(name);
    const out: ServiceSpec[] = [];
    for (const [name, spec] of Object.entries(value)) {
      const path = `services.${name}`;
      if (!/^[A-Za-z][\w-]*$/.test(name)) {
        this.problem(
          path,
          `service name "${name}": use letters, digits, - and _`,
          true,
        );
      }
      if (!isObject(spec)) {
        this.problem(path, `service "${name}" needs run: and ready:`);
        continue;
      }
      this.unknownKeys(spec, path, SERVICE_KEYS);
      const argv = this.argv(spec.run, `${path}.run`, true);
      if (!argv || !spec.ready) this.#started.add(name); // Said once, not again for its users.
      const ready = this.ready(spec.ready, `${path}.ready`);
      if (!argv || !ready) continue;
      out.push({
        name,
        argv,
        ready,
        readyTimeoutMs: this.duration(
          spec.timeout,
          `${path}.timeout`,
          DEFAULT_READY_TIMEOUT_MS,
        ),
        env: this.strings(spec.env, `${path}.env`),
        line: this.line(path),
      });
      this.#started.add(name);
    }
    return out;
  }

  argv(value: unknown, path: string, inService: boolean): string[] | undefined {
    if (typeof value === "string" && value.trim() !== "") {
      try {
        // Variables are words' parts, not shell syntax: kept aside while splitting.
        const held: string[] = [];
        const words = splitWords(
          value.replace(VARIABLE, (v) => `@@${held.push(v) - 1}@@`),
        );
        return words.map((w) =>
          this.template(
            w.replace(/@@(\d+)@@/g, (_, i) => held[Number(i)]!),
            path,
            inService,
          )
        );
      } catch (err) {
        if (!(err instanceof ShellWordsError)) throw err;
        this.problem(
          path,
          `${
            err.message.split(":")[0]
          }: no shell runs a service; write a list of words, or ["sh", "-c", "..."]`,
        );
        return undefined;
      }
    }
    if (
      Array.isArray(value) && value.length > 0 &&
      value.every((w) => typeof w === "string" || typeof w === "number")
    ) {
      return value.map((w, i) =>
        this.template(String(w), `${path}.${i}`, inService)
      );
    }
    this.problem(
      path,
      "write the command as text (`sockit tcp-echo server --port 0`) or a list of words",
    );
    return undefined;
  }

  ready(value: unknown, path: string): Ready | undefined {
    if (typeof value === "string") return this.pattern(value, path);
    if (isObject(value)) {
      this.unknownKeys(value, path, ["line", "address"]);
      if (typeof value.line === "string") {
        return this.pattern(value.line, `${path}.line`);
      }
      if (typeof value.address === "string") {
        return {
          kind: "address",
          address: this.template(value.address, `${path}.address`, true),
        };
      }
    }
    this.problem(
      path,
      'say when it is ready: a line it prints (ready: "listening"), or ready: { address: HOST:PORT }',
    );
    return undefined;
  }

  pattern(text: string, path: string): Ready | undefined {
    try {
      return { kind: "line", pattern: new RegExp(text) };
    } catch (err) {
      this.problem(path, `not a regular expression: ${(err as Error).message}`);
      return undefined;
    }
  }

  checks(value: unknown): CheckSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.problem(
        "checks",
        "checks: is a list of checks, each with a name, an address (tcp:, udp:, ...) and expect:",
      );
      return [];
    }
    const checks = value.map((c, i) => this.check(c, `checks.${i}`));
    const found = checks.filter((c): c is CheckSpec => c !== undefined);
    this.relations(found, value);
    return found;
  }

  count(value: unknown, path: string, fallback: number, max: number): number {
    if (value === undefined) return fallback;
    if (
      typeof value === "number" && Number.isInteger(value) && value >= 0 &&
      value <= max
    ) {
      return value;
    }
    this.problem(path, `write a whole number from 0 to ${max}`);
    return fallback;
  }

  names(value: unknown, path: string): string[] {
    if (value === undefined) return [];
    const list = typeof value === "string" ? [value] : value;
    if (Array.isArray(list) && list.every((n) => typeof n === "string")) {
      return list;
    }
    this.problem(path, "after: takes a check's name, or a list of names");
    return [];
  }

  check(value: unknown, path: string): CheckSpec | undefined {
    return readCheck(this, value, path);
  }

  expect(value: unknown, path: string, kind: ProbeKind): Expectation {
    return readExpect(this, value, path, kind);
  }

  /** Names in `after:` must be checks of the plan, with no cycle. */
  relations(checks: CheckSpec[], raw: unknown[]): void {
    const byName = new Map<string, number>();
    checks.forEach((c) => {
      const i = raw.findIndex((r) => isObject(r) && r.name === c.name);
      if (byName.has(c.name)) {
        this.problem(
          `checks.${i}.name`,
          `two checks are named "${c.name}"; names must differ`,
        );
      }
      byName.set(c.name, i);
    });
    for (const c of checks) {
      for (const other of c.after) {
        if (!byName.has(other)) {
          this.problem(
            `checks.${byName.get(c.name)}.after`,
            `after: names "${other}", which no check is called`,
          );
        }
      }
    }
    const cycle = findCycle(
      checks.flatMap((c) =>
        c.after.filter((name) => byName.has(name)).map((name) =>
          [c.name, name] as const
        )
      ),
    );
    if (cycle) {
      this.problem(
        `checks.${byName.get(cycle[0]!)}.after`,
        `after: makes a cycle (${
          cycle.join(" -> ")
        }); a check cannot wait for itself`,
      );
    }
  }
}

/** Whether two keys are one typo apart (a letter changed, added, dropped or swapped). */
function similar(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const restA = a.slice(i + 1), restB = b.slice(i + 1);
  return restA === restB || a.slice(i) === b.slice(i + 1) ||
    a.slice(i + 1) === b.slice(i) ||
    (a[i] === b[i + 1] && a[i + 1] === b[i] &&
      a.slice(i + 2) === b.slice(i + 2));
}
