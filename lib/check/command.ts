/**
 * `sockit check PLAN`: a CI smoke test as one plan file. Reads and checks
 * the plan (exit 2 on any mistake, before anything starts), starts its
 * services, runs its checks, stops the services, and reports for a person
 * and for CI (JSON, JUnit, TAP, GitHub annotations). Exit 0 when every
 * check passed, 1 when one failed or a service did not start, 2 for a
 * usage or plan error, 130 after Ctrl-C.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import {
  choice,
  count,
  flag,
  text,
  typedList,
  type ValueType,
} from "../cli/option.ts";
import { ownCommandLine } from "../cli/self.ts";
import { UsageError } from "../io/errors.ts";
import { readFull, writeAll } from "../io/streams.ts";
import { readUserText } from "../io/user_files.ts";
import { ShutdownSignal } from "../server/signals.ts";
import { MAX_PLAN_BYTES, type Plan, PlanError } from "./plan.ts";
import {
  checkLine,
  FORMATS,
  summaryLine,
  toGithub,
  toJson,
  toJunit,
  toMarkdown,
  toTap,
} from "./report.ts";
import { DEFAULT_JOBS, type PlanResult, runPlan } from "./run.ts";

/** The exit code after Ctrl-C, as a shell reports SIGINT: 130. */
export const EXIT_INTERRUPTED = 130;

const encoder = new TextEncoder();

/** `NAME=VALUE` for `--var`. */
const VARIABLE: ValueType<[string, string]> = {
  placeholder: "NAME=VALUE",
  parse: (raw) => {
    const match = raw.match(/^([A-Za-z_][\w-]*)=(.*)$/s);
    if (!match) {
      throw new RangeError("write NAME=VALUE, e.g. --var host=127.0.0.1");
    }
    return [match[1]!, match[2]!];
  },
  show: ([name, value]) => `${name}=${value}`,
};

const check = defineCommand({
  summary: "run a plan of socket checks, with its services started and stopped",
  options: {
    format: choice({
      help: "How the results are printed on stdout",
      value: "FORMAT",
      choices: FORMATS,
      default: "text",
    }),
    reportJunit: text({
      help: "Also write a JUnit XML report to FILE",
      value: "FILE",
    }),
    reportJson: text({
      help: "Also write the JSON report to FILE",
      value: "FILE",
    }),
    jobs: count({
      help: "Checks run at once (after: orders them)",
      value: "N",
      min: 1,
      max: 256,
      default: DEFAULT_JOBS,
    }),
    var: typedList(VARIABLE, {
      help: "Set ${vars.NAME} (over the plan's vars:)",
    }),
    list: flag({ help: "Print the checks and exit, running nothing" }),
  },
  positionals: true,
  usage: "PLAN [options]   (PLAN is a YAML or JSON file, or - for stdin)",
  async run(values, positionals) {
    if (positionals.length !== 1) {
      throw new UsageError(
        "Name one plan: sockit check PLAN.yaml (or - to read it from stdin)",
      );
    }
    const file = positionals[0]!;
    const plan = await readPlan(file, Object.fromEntries(values.var));
    if (values.list) {
      await print(listing(plan));
      return 0;
    }
    using shutdown = new ShutdownSignal();
    const live = values.format === "text" && Deno.stderr.isTerminal();
    const result = await runPlan(plan, {
      jobs: values.jobs,
      sockit: ownCommandLine(),
      signal: shutdown.signal,
      env: (name) => Deno.env.get(name),
      onStart: (spec) => live && status(`running: ${spec.name}`),
      onCheck: async (r, done, total) => {
        if (live) status("");
        if (values.format === "text") await print(checkLine(r) + "\n");
        if (live && done < total) status(`${done}/${total} done`);
      },
    });
    if (live) status("");
    await report(result, file, values);
    if (result.interrupted) return EXIT_INTERRUPTED;
    const failed = result.serviceFailure !== undefined ||
      result.results.some((r) => !r.pass);
    return failed ? 1 : 0;
  },
});

/** Reads and checks the plan; every mistake is a usage error (exit 2). */
async function readPlan(
  file: string,
  vars: Record<string, string>,
): Promise<Plan> {
  let text: string;
  try {
    if (file !== "-" && (await Deno.stat(file)).size > MAX_PLAN_BYTES) {
      throw new UsageError(
        `The plan "${file}" is over ${MAX_PLAN_BYTES} bytes: split it in smaller plans`,
      );
    }
    text = file === "-" ? await readStdin() : await readUserText(file);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `Cannot read the plan "${file}": ${
        err instanceof Deno.errors.NotFound
          ? "no such file; check the path"
          : (err as Error).message
      }`,
    );
  }
  // The YAML reader loads only when a plan is read: every other command starts without it.
  const { parsePlan } = await import("./plan_reader.ts");
  try {
    return parsePlan(text, file, vars, (name) => Deno.env.get(name));
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
}

/** The plan on stdin, at most one byte past the cap (the reader then says it is too large). */
async function readStdin(): Promise<string> {
  const bytes = new Uint8Array(MAX_PLAN_BYTES + 1);
  const n = await readFull(Deno.stdin, bytes);
  return new TextDecoder().decode(bytes.subarray(0, n));
}

function listing(plan: Plan): string {
  const lines = plan.services.map((s) =>
    `service ${s.name}: ${s.argv.join(" ")}`
  );
  for (const c of plan.checks) {
    const after = c.after.length > 0 ? ` (after ${c.after.join(", ")})` : "";
    lines.push(
      `check ${c.name}: ${c.kind} ${c.address}${after} [line ${c.line}]`,
    );
  }
  return lines.join("\n") + "\n";
}

async function print(text: string): Promise<void> {
  await writeAll(PROCESS_STDOUT, encoder.encode(text));
}

function status(text: string): void {
  Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${text}`));
}

async function report(
  result: PlanResult,
  file: string,
  values: {
    format: typeof FORMATS[number];
    reportJunit?: string | undefined;
    reportJson?: string | undefined;
  },
): Promise<void> {
  switch (values.format) {
    case "text":
      if (result.serviceFailure) {
        const { message, lines } = result.serviceFailure;
        await print(
          [`FAIL ${message}`, ...lines.map((l) => `       | ${l}`)].join("\n") +
            "\n",
        );
      }
      await print(summaryLine(result) + "\n");
      break;
    case "json":
      await print(toJson(result, file));
      break;
    case "junit":
      await print(toJunit(result, file));
      break;
    case "tap":
      await print(toTap(result));
      break;
    case "github": {
      await print(toGithub(result, file));
      await print(summaryLine(result) + "\n");
      break;
    }
  }
  const summary = values.format === "github"
    ? Deno.env.get("GITHUB_STEP_SUMMARY")
    : undefined;
  if (summary) {
    await Deno.writeTextFile(summary, toMarkdown(result, file), {
      append: true,
    });
  }
  if (values.reportJunit) {
    await Deno.writeTextFile(values.reportJunit, toJunit(result, file));
  }
  if (values.reportJson) {
    await Deno.writeTextFile(values.reportJson, toJson(result, file));
  }
}

/** `sockit check`: CI smoke tests as one plan file. */
export const CHECK: Service = {
  name: "check",
  summary: "Run a plan of socket checks (CI smoke tests), services included",
  commands: [check],
  notes: [
    "A plan (YAML or JSON; docs/check.schema.json describes it) starts services and runs checks:\n" +
    "  services: { echo: { run: sockit tcp-echo server --port 0, ready: listening } }\n" +
    "  checks:\n" +
    '    - { name: echo answers, tcp: "127.0.0.1:${services.echo.port}", send: "hi\\n",\n' +
    '        expect: { equals: "hi\\n", within: 200ms } }\n' +
    "Probes: tcp:, unix:, tls:, udp:, exec:. Expect: equals, contains, regex, json {pointer,\n" +
    "equals}, bytes, closes, within; refused, closed or open; for TLS cert_valid_for,\n" +
    "cert_subject, cert_names; for exec exit_code, stdout, stderr. A check reads until its\n" +
    "expectation is decided, the peer closes, its timeout (5 s) or max_bytes (1 MiB).",
    "Services start in order, each in its own process group with its output in a file, ready\n" +
    "when a line matches ready: (capturing the port) or ready: { address } answers; they are\n" +
    "stopped at the end (SIGTERM, 3 s, SIGKILL to the group) whatever happened. A plan is at\n" +
    "most 1 MiB and 100 aliases; a service's log keeps 16 MiB.",
    "Exit status: 0 every check passed; 1 a check failed or a service did not start; 2 a usage\n" +
    "or plan error (FILE:LINE:COLUMN, before anything starts); 130 after Ctrl-C.",
  ],
  examples: [
    "sockit check examples/sockit_services.yaml",
    "sockit check examples/sockit_services.yaml --format junit > /tmp/results.xml",
    "sockit check examples/sockit_services.yaml --format tap --jobs 2",
    "sockit check examples/sockit_services.yaml --list",
  ],
};
