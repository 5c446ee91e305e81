/**
 * What a `sockit check` plan is, once read and checked
 * (`plan_reader.ts`): its services, its checks and what each expects, and
 * the error that lists a plan's mistakes with their places. The shapes are
 * the ones `docs/check.schema.json` describes.
 *
 * @module
 */

import { MiB } from "../io/units.ts";
import type { Matcher } from "./expect.ts";
import type { Payload } from "./values.ts";

/** The largest plan read: 1 MiB. */
export const MAX_PLAN_BYTES = MiB;
/** Aliases a plan may use, so a "billion laughs" plan is refused: 100. */
export const MAX_PLAN_ALIASES = 100;
/** A check's time limit unless it says: 5 s. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;
/** A service's time to become ready unless it says: 30 s. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** Pause between two tries of a check unless it says: 500 ms. */
export const DEFAULT_RETRY_DELAY_MS = 500;
/** What a check reads of a reply by default: 1 MiB. */
export const DEFAULT_MAX_REPLY_BYTES = MiB;
/** The most a check's `max_bytes:` may allow: 64 MiB. */
export const MAX_REPLY_BYTES = 64 * MiB;
/** The most tries of one check: 100. */
export const MAX_RETRIES = 100;

/** One mistake in a plan, where it is. */
export interface PlanProblem {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What is wrong, and what to write instead. */
  message: string;
}

/**
 * A plan that cannot run: every mistake found, each with its place.
 * Exit 2, before anything starts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlanError } from "./plan.ts";
 * const err = new PlanError("p.yaml", [{ line: 3, column: 5, message: "bad" }]);
 * assert.ok(err.message === "p.yaml:3:5: bad" && err.exitCode === 2);
 * ```
 */
export class PlanError extends Error {
  override name = "PlanError";
  /** A plan error is a usage error. */
  readonly exitCode = 2;

  /** Lists `problems` in `file`, one line each. */
  constructor(readonly file: string, readonly problems: PlanProblem[]) {
    super(
      problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join(
        "\n",
      ),
    );
  }
}

/** What a service's readiness waits for. */
export type Ready =
  | { kind: "line"; pattern: RegExp }
  | { kind: "address"; address: string };

/** A program the plan starts before its checks. */
export interface ServiceSpec {
  name: string;
  /** The program and its arguments; `sockit` first means this sockit. */
  argv: string[];
  ready: Ready;
  /** How long it may take to become ready, in ms. */
  readyTimeoutMs: number;
  /** Extra environment. */
  env: Record<string, string>;
  /** Where in the plan, for messages. */
  line: number;
}

/** What kind of socket a check opens. */
export type ProbeKind = "tcp" | "unix" | "tls" | "udp" | "exec";

/** What a check expects. */
export type Expectation =
  | { kind: "outcome"; outcome: "refused" | "closed" | "open" }
  | {
    kind: "reply";
    /** Each must hold of the bytes that came. */
    matchers: Matcher[];
    /** The server must close after the reply. */
    closes: boolean;
    /** The reply must be decided within this, in ms from the connect. */
    withinMs?: number;
    /** The TLS certificate: at least this long left, its subject, its names. */
    cert?: { validForMs?: number; subject?: RegExp; names?: string[] };
    /** An exec reply: the exit code, and matchers for stdout and stderr. */
    exit?: { code?: number; stdout: Matcher[]; stderr: Matcher[] };
  };

/** One check of a plan. */
export interface CheckSpec {
  name: string;
  kind: ProbeKind;
  /** The address, variables not yet filled in. */
  address: string;
  send?: Payload;
  expect: Expectation;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  after: string[];
  /** TLS checking: a CA file, a pin, or none at all. */
  tls: { ca?: string; pin?: string; insecure: boolean };
  /** An exec check's command, token and reply mode. */
  exec?: {
    cmd: string[];
    token?: { env: string } | { file: string };
    mode: "stream" | "single";
  };
  /** A byte cap on what is read: 1 MiB unless said. */
  maxBytes: number;
  /** Where in the plan, for messages and annotations. */
  line: number;
}

/** A checked plan. */
export interface Plan {
  file: string;
  vars: Record<string, string>;
  services: ServiceSpec[];
  checks: CheckSpec[];
}

/**
 * What the parts of the plan reader (`plan_check.ts`, `plan_expect.ts`)
 * use of it: reporting a problem at a path, and reading the small values
 * every part shares.
 */
export interface PlanHelpers {
  /** Where `checks.0.expect` starts in the file. */
  line(path: string): number;
  /** Records a problem at `path` (at its key, with `key`). */
  problem(path: string, message: string, key?: boolean): void;
  /** Records every key of `value` not in `known`, with the nearest known one. */
  unknownKeys(
    value: Record<string, unknown>,
    path: string,
    known: readonly string[],
  ): void;
  /** Checks the variables in `text`. */
  template(text: string, path: string, inService: boolean): string;
  /** A duration, or `fallback` (a problem recorded when it is none). */
  duration(value: unknown, path: string, fallback: number): number;
  /** A whole number within bounds, or `fallback`. */
  count(value: unknown, path: string, fallback: number, max: number): number;
  /** A name or a list of names. */
  names(value: unknown, path: string): string[];
  /** A regular expression. */
  pattern(text: string, path: string): Ready | undefined;
  /** A command as text or a list of words. */
  argv(value: unknown, path: string, inService: boolean): string[] | undefined;
  /** What `${env.NAME}` and token variables may name. */
  env(name: string): string | undefined;
  /** A check's `expect:`. */
  expect(value: unknown, path: string, kind: ProbeKind): Expectation;
}

/**
 * Whether a plan's value is a mapping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isObject } from "./plan.ts";
 * assert.ok(isObject({}) && !isObject([]) && !isObject(null));
 * ```
 */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
