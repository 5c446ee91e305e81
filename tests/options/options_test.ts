import assert from "node:assert/strict";
import { UsageError } from "../../lib/io/errors.ts";
import { parseCommandLine } from "../../lib/cli/parse.ts";
import { SERVICES } from "../../lib/services.ts";

function run(...args: string[]) {
  const invocation = parseCommandLine(args, SERVICES, () => undefined);
  assert.equal(invocation.kind, "run");
  return invocation as Extract<typeof invocation, { kind: "run" }>;
}

Deno.test("a positional address stands in for --host/--port or --unix, as netcat users type it", async (t) => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [["tcp-echo", "client", "127.0.0.1:20000"], {
      host: "127.0.0.1",
      port: 20000,
    }],
    [["tcp-echo", "client", "[::1]:3000"], { host: "::1", port: 3000 }],
    [["tcp-echo", "client", "localhost:8083"], {
      host: "localhost",
      port: 8083,
    }],
    [["tcp-echo", "client", "unix:/tmp/echo.sock"], { unix: "/tmp/echo.sock" }],
    [["tcp-echo", "server", ":0"], { host: "127.0.0.1", port: 0 }],
    [["udp-upper", "client", "udp://[::1]:3000"], { host: "::1", port: 3000 }],
    [["udp-upper", "server", "unix:/tmp/u.sock"], { unix: "/tmp/u.sock" }],
    [["chat", "server", ":0"], { host: "127.0.0.1", port: 0 }],
    [["exec", "client", "127.0.0.1:8083", "--", "uname", "-a"], {
      host: "127.0.0.1",
      port: 8083,
    }],
    [["exec", "client", "127.0.0.1:8083", "--cmd", "ls"], {
      host: "127.0.0.1",
      port: 8083,
    }],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), () => {
      const { values } = run(...args);
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(values[key], value, key);
      }
    });
  }
  const exec = run("exec", "client", "127.0.0.1:8083", "--", "uname", "-a");
  assert.deepEqual(exec.positionals, ["uname", "-a"], "the command stays");
  const plain = run("exec", "client", "--port", "1", "echo", "hi");
  assert.deepEqual(plain.positionals, ["echo", "hi"], "no address without one");
});

Deno.test("a positional address refuses a clash, a second word and a bad form, pointing at help", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["tcp-echo", "client", "localhost:1", "--port", "2"],
      /^Give the address once: "localhost:1" or --port, not both$/,
    ],
    [
      ["tcp-echo", "client", "localhost:1", "--unix", "/x"],
      /^Give the address once/,
    ],
    [
      ["tcp-echo", "client", "a:1", "b:2"],
      /^Unexpected argument "b:2" for tcp-echo client$/,
    ],
    [
      ["tcp-echo", "client", "nope"],
      /^Invalid address "nope": use tcp:\/\/HOST:PORT, unix:PATH, HOST:PORT/,
    ],
    [["tcp-echo", "client", ":0"], /port 1-65535/],
    [
      ["chat", "client", "unix:/x", "--name", "a"],
      /^Invalid address "unix:\/x"/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(
        () => parseCommandLine(args, SERVICES, () => undefined),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.match(err.message, pattern);
          assert.equal(err.help, `sockit ${args[0]} --help`);
          return true;
        },
      );
    });
  }
});
