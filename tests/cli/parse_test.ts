import assert from "node:assert/strict";
import { parseCommandLine } from "../../lib/cli/parse.ts";
import { SERVICES } from "../../lib/services.ts";
import { UsageError } from "../../lib/io/errors.ts";
import { defineCommand } from "../../lib/cli/command.ts";
import { duration, flag, text } from "../../lib/cli/option.ts";

function parse(...args: string[]) {
  return parseCommandLine(args, SERVICES);
}

function run(...args: string[]) {
  const invocation = parse(...args);
  assert.equal(invocation.kind, "run");
  return invocation as Extract<ReturnType<typeof parse>, { kind: "run" }>;
}

Deno.test("parseCommandLine() applies defaults and reads typed values", () => {
  const { values, command } = run("tcp-echo", "server");
  assert.equal(command.role, "server");
  assert.equal(values.host, "127.0.0.1");
  assert.equal(values.port, 20000);
  assert.equal(values.maxConns, 1024);
  assert.equal(values.idleTimeout, 300_000, "durations are read in ms");
  assert.equal(values.grace, 5000);
  assert.equal(values.quiet, false);
  const client = run(
    "tcp-echo",
    "client",
    "--message",
    "a",
    "--message",
    "b",
    "--timeout",
    "0.5",
  );
  assert.deepEqual(client.values.message, ["a", "b"]);
  assert.equal(client.values.timeout, 500);
});

Deno.test("parseCommandLine() gives help for --help anywhere before --", () => {
  for (
    const args of [[], ["--help"], ["tcp-echo"], ["tcp-echo", "--help"], [
      "tcp-echo",
      "client",
      "--port",
      "1",
      "-h",
    ]]
  ) {
    assert.equal(parse(...args).kind, "help", args.join(" "));
  }
});

Deno.test("parseCommandLine() rejects bad input with a UsageError that points at help", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [["nope"], /^Unknown command "nope"/],
    [["--nope"], /^Unknown option "--nope"/],
    [["tcp-echo", "middle"], /^Unknown role "middle"/],
    [["tcp-echo", "server", ":0", "extra"], /^Unexpected argument "extra"/],
    [["tcp-echo", "server", "--port"], /^Option "--port" needs a value/],
    [["tcp-echo", "server", "--port", "-5"], /^Invalid --port "-5"/],
    [["tcp-echo", "server", "--port", "1e3"], /^Invalid --port "1e3"/],
    [["tcp-echo", "server", "--grace", "abc"], /^Invalid --grace "abc"/],
    [
      ["tcp-echo", "server", "--idle-timeout", "86401"],
      /^Invalid --idle-timeout "86401"/,
    ],
    [["tcp-echo", "server", "--quiet=yes"], /^Option "--quiet" takes no value/],
    [
      ["tcp-echo", "client", "--message", "-x"],
      /write one that starts with "-" as --message=VALUE/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parse(...args), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, pattern);
        assert.match(err.help ?? "", /^sockit( tcp-echo)? --help$/);
        return true;
      });
    });
  }
});

Deno.test("a message starting with a dash can be given as --message=VALUE", () => {
  assert.deepEqual(
    run("tcp-echo", "client", "--message=-x").values.message,
    ["-x"],
  );
});

/** Runs `parseCommandLine` on a small service of its own, with `env` as the environment. */
function parseToy(args: string[], env: Record<string, string> = {}) {
  const conflict = "Option --a cannot be combined with --b";
  const needs = "Option --c needs --d";
  const toy = {
    name: "toy",
    summary: "",
    examples: [],
    commands: [defineCommand({
      summary: "",
      options: {
        a: flag({ help: "", conflicts: { b: conflict } }),
        b: flag({ help: "" }),
        c: text({ help: "", requires: { d: needs } }),
        d: text({ help: "" }),
        secret: text({ help: "", env: "TOY_SECRET" }),
        who: text({ help: "", required: "Option --who is required" }),
        wait: duration({ help: "", min: 0, max: 10_000, default: 2000 }),
      },
      run: (values) => Promise.resolve(values.wait),
    })],
  };
  return parseCommandLine(["toy", ...args], [toy], (name) => env[name]);
}

Deno.test("parseCommandLine() enforces declared relations, required options and environment sources", () => {
  const usage = (args: string[], pattern: RegExp) =>
    assert.throws(() => parseToy(args), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, pattern);
      assert.equal(err.help, "sockit toy --help");
      return true;
    });
  usage(
    ["--a", "--b", "--who", "x"],
    /^Option --a cannot be combined with --b$/,
  );
  usage(["--c", "1", "--who", "x"], /^Option --c needs --d$/);
  usage([], /^Option --who is required$/);
  usage(["--who", "x", "--secret", "s"], /^Unknown option "--secret"/);
  const ok = parseToy(["--who", "x", "--c", "1", "--d", "2", "--wait", "1.5"], {
    TOY_SECRET: "s3cret",
  });
  assert.equal(ok.kind, "run");
  if (ok.kind !== "run") return;
  assert.equal(ok.values.secret, "s3cret");
  assert.equal(ok.values.wait, 1500);
  const empty = parseToy(["--who", "x"], { TOY_SECRET: "" });
  assert.equal(empty.kind === "run" && empty.values.secret, undefined);
});

Deno.test("a usage error thrown by a command's run points at its service's help", async () => {
  const parsed = parseCommandLine(
    ["exec", "client", "--cmd", "x", "--", "y"],
    SERVICES,
  );
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") return;
  await assert.rejects(parsed.run(), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.help, "sockit exec --help");
    return true;
  });
});

Deno.test("typed values: reading an option the command did not declare is a type error", () => {
  const command = defineCommand({
    summary: "",
    options: { port: flag({ help: "" }) },
    run: (values) => {
      // @ts-expect-error: "host" is not an option of this command.
      const _host: unknown = values.host;
      return Promise.resolve(values.port ? 0 : 1);
    },
  });
  assert.equal(command.summary, "");
});

Deno.test("only the exec client's unknown-option error mentions the remote command", () => {
  const message = (...args: string[]) => {
    try {
      parseCommandLine(args, SERVICES, () => undefined);
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };
  assert.equal(
    message("wait", "127.0.0.1:1", "--nope"),
    'Unknown option "--nope" for wait',
  );
  assert.match(
    message("exec", "client", "--nope"),
    /; put the remote command after --$/,
  );
  assert.equal(
    message("wait", "127.0.0.1:1", "--tmeout", "1"),
    'Unknown option "--tmeout" for wait: did you mean --timeout?',
  );
});
