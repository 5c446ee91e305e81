import assert from "node:assert/strict";
import { parseCommandLine } from "../../lib/cli/parse.ts";
import { SERVICES } from "../../lib/services.ts";
import { UsageError } from "../../lib/cli/errors.ts";

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
    [["tcp-echo", "server", "extra"], /^Unexpected argument "extra"/],
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
