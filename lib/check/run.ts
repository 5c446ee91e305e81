/**
 * Running a plan: services started in order and each waited for, then the
 * checks, concurrently up to `jobs` unless `after:` orders them, each
 * tried again after its delay while it fails and tries are left; and the
 * services stopped at the end whatever happened (a check failing, a
 * service dying, Ctrl-C).
 *
 * @module
 */

import { errorMessage } from "../io/errors.ts";
import { readUserText } from "../io/user_files.ts";
import { sleep, whenAborted } from "../io/timers.ts";
import type { CheckSpec, Plan } from "./plan.ts";
import { type ReadyCheck, tryCheck } from "./probes.ts";
import { Service, ServiceFailed } from "./service.ts";

/** Checks run at once unless told: 8. */
export const DEFAULT_JOBS = 8;
/** Lines of a dead service's log shown with a failure: 10. */
export const SERVICE_LOG_LINES = 10;

/** How one check ended. */
export interface CheckResult {
  spec: CheckSpec;
  /** The address tried, variables filled in. */
  address: string;
  pass: boolean;
  /** The last try's time, in ms. */
  ms: number;
  tries: number;
  expected?: string;
  got?: string;
  /** A service that had died when the check failed, and its last lines. */
  deadService?: { name: string; lines: string[] };
}

/** What a run produced. */
export interface PlanResult {
  results: CheckResult[];
  /** Why the services could not all start, with the failing one's last lines. */
  serviceFailure?: { message: string; lines: string[] };
  /** Whether Ctrl-C (or the signal) cut it short. */
  interrupted: boolean;
  /** The whole run, in ms. */
  ms: number;
}

/** Options of {@linkcode runPlan}. */
export interface RunPlanOptions {
  /** Checks at once. @default {DEFAULT_JOBS} */
  jobs?: number;
  /** This sockit's own command line, for a service's `run` that starts with `sockit`. */
  sockit: string[];
  /** Aborting (Ctrl-C) stops the checks and the services. */
  signal: AbortSignal;
  /** Reads an environment variable (`${env.NAME}`, tokens). */
  env: (name: string) => string | undefined;
  /** Told as each check ends; a failure here (stdout closed) ends the run, services stopped. */
  onCheck?: (
    result: CheckResult,
    done: number,
    total: number,
  ) => void | Promise<void>;
  /** Told as each check starts (for a live line on a terminal). */
  onStart?: (check: CheckSpec) => void;
}

/**
 * Runs `plan`: starts its services, runs its checks, stops the services.
 *
 * @example
 * ```ts ignore
 * import { runPlan } from "./run.ts";
 * const result = await runPlan(plan, { sockit: ["sockit"], signal, env: Deno.env.get });
 * ```
 */
export async function runPlan(
  plan: Plan,
  options: RunPlanOptions,
): Promise<PlanResult> {
  const started = performance.now();
  const logDir = await Deno.makeTempDir({ prefix: "sockit-check-" });
  const services: Service[] = [];
  const result: PlanResult = { results: [], interrupted: false, ms: 0 };
  try {
    for (const spec of plan.services) {
      if (options.signal.aborted) break;
      const argv = spec.argv[0] === "sockit"
        ? [...options.sockit, ...spec.argv.slice(1)]
        : spec.argv;
      let service: Service;
      try {
        service = await Service.start(
          spec,
          argv.map((word) => fill(word, plan, services, options.env)),
          logDir,
        );
      } catch (err) {
        result.serviceFailure = { message: errorMessage(err), lines: [] };
        break;
      }
      services.push(service);
      try {
        await waitOrAbort(service.waitReady(), options.signal);
      } catch (err) {
        if (options.signal.aborted) break;
        result.serviceFailure = {
          message: err instanceof ServiceFailed
            ? err.message
            : errorMessage(err),
          lines: await service.lastLines(SERVICE_LOG_LINES),
        };
        break;
      }
    }
    if (!result.serviceFailure && !options.signal.aborted) {
      result.results = await runChecks(plan, services, options);
    }
  } finally {
    for (const service of services.reverse()) {
      await service[Symbol.asyncDispose]();
    }
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
  result.interrupted = options.signal.aborted;
  result.ms = performance.now() - started;
  return result;
}

/** Rejects as soon as `signal` aborts, without waiting for `work`. */
async function waitOrAbort<T>(
  work: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  using aborted = whenAborted(signal);
  work.catch(() => {}); // Left behind at an abort: its end goes nowhere.
  return await Promise.race([
    work,
    aborted.promise.then(() => Promise.reject(new Error("interrupted"))),
  ]);
}

/** Fills in `${vars.X}`, `${env.X}` and `${services.X.port}` (checked when the plan was read). */
function fill(
  text: string,
  plan: Plan,
  services: Service[],
  env: (name: string) => string | undefined,
): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    const [scope, key, field] = name.split(".");
    if (scope === "vars") return plan.vars[key!] ?? "";
    if (scope === "env") return env(key!) ?? "";
    const service = services.find((s) => s.spec.name === key);
    if (
      scope === "services" && field === "port" && service?.port !== undefined
    ) {
      return String(service.port);
    }
    throw new Error(
      `service "${key}" has no port: its ready line captured none; capture it, e.g. ready: "listening on .*:(\\d+)"`,
    );
  });
}

/** Runs the checks, `jobs` at a time, each after the checks it names. */
async function runChecks(
  plan: Plan,
  services: Service[],
  options: RunPlanOptions,
): Promise<CheckResult[]> {
  const jobs = Math.max(1, options.jobs ?? DEFAULT_JOBS);
  const results = new Map<string, CheckResult>();
  const finished = new Map<string, Promise<void>>();
  const order: CheckResult[] = [];
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async () => {
    while (running >= jobs) await new Promise<void>((r) => waiting.push(r));
    running++;
  };
  const free = () => {
    running--;
    waiting.shift()?.();
  };
  const runOne = async (spec: CheckSpec): Promise<void> => {
    await Promise.all(spec.after.map((name) => finished.get(name)));
    if (options.signal.aborted) return;
    await slot();
    try {
      options.onStart?.(spec);
      const result = await runWithRetries(spec, plan, services, options);
      results.set(spec.name, result);
      order.push(result);
      await options.onCheck?.(result, order.length, plan.checks.length);
    } finally {
      free();
    }
  };
  // Every check's promise exists before any waits on another (after: may point ahead).
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  for (const spec of plan.checks) {
    finished.set(spec.name, gate.then(() => runOne(spec)));
  }
  release();
  await Promise.all(finished.values());
  return plan.checks.map((c) => results.get(c.name)).filter((
    r,
  ): r is CheckResult => r !== undefined);
}

async function runWithRetries(
  spec: CheckSpec,
  plan: Plan,
  services: Service[],
  options: RunPlanOptions,
): Promise<CheckResult> {
  let last: CheckResult = {
    spec,
    address: spec.address,
    pass: false,
    ms: 0,
    tries: 0,
  };
  for (let attempt = 0; attempt <= spec.retries; attempt++) {
    if (options.signal.aborted) break;
    if (attempt > 0) {
      await sleep(spec.retryDelayMs, options.signal).catch(() => {});
    }
    let ready: ReadyCheck;
    try {
      ready = await prepare(spec, plan, services, options.env);
    } catch (err) {
      return {
        spec,
        address: spec.address,
        pass: false,
        ms: 0,
        tries: attempt + 1,
        expected: "a check that can run",
        got: errorMessage(err),
      };
    }
    const tried = await tryCheck(ready, options.signal);
    last = { spec, address: ready.address, ...tried, tries: attempt + 1 };
    if (tried.pass) return last;
  }
  const dead = services.find((s) => s.exit !== undefined);
  if (dead) {
    last.deadService = {
      name: dead.spec.name,
      lines: await dead.lastLines(SERVICE_LOG_LINES),
    };
  }
  return last;
}

/** The check with its variables filled in, its payload and token read. */
async function prepare(
  spec: CheckSpec,
  plan: Plan,
  services: Service[],
  env: (name: string) => string | undefined,
): Promise<ReadyCheck> {
  const ready: ReadyCheck = {
    spec: spec.tls.ca === undefined ? spec : {
      ...spec,
      tls: { ...spec.tls, ca: fill(spec.tls.ca, plan, services, env) },
    },
    address: fill(spec.address, plan, services, env),
  };
  const send = spec.send;
  if (send?.kind === "text") {
    ready.send = new TextEncoder().encode(fill(send.text, plan, services, env));
  } else if (send?.kind === "bytes") ready.send = send.bytes;
  else if (send?.kind === "file") ready.send = await Deno.readFile(send.path);
  const token = spec.exec?.token;
  if (token && "env" in token) {
    const value = env(token.env);
    if (value !== undefined) ready.token = value;
  } else if (token) {
    ready.token = (await readUserText(token.file)).split("\n")[0]!.trim();
  }
  return ready;
}
