import assert from "node:assert/strict";
import { UsageError } from "../../lib/io/errors.ts";
import { parseWaitTarget } from "../../lib/wait/wait.ts";

Deno.test("parseWaitTarget() reads tcp://, host:port and unix: addresses", () => {
  assert.deepEqual(parseWaitTarget("tcp://127.0.0.1:80"), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 80,
  });
  assert.deepEqual(parseWaitTarget("localhost:8083"), {
    transport: "tcp",
    hostname: "localhost",
    port: 8083,
  });
  assert.deepEqual(parseWaitTarget("[::1]:9"), {
    transport: "tcp",
    hostname: "::1",
    port: 9,
  });
  assert.deepEqual(parseWaitTarget("udp://[::1]:3000"), {
    transport: "udp",
    hostname: "::1",
    port: 3000,
  });
  assert.deepEqual(parseWaitTarget(":8083"), {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: 8083,
  });
  assert.deepEqual(parseWaitTarget("unix:/tmp/a b.sock"), {
    transport: "unix",
    path: "/tmp/a b.sock",
  });
  for (
    const bad of [
      "",
      "127.0.0.1",
      "tcp://h:0",
      "h:70000",
      "unix:",
      "ftp://h:1",
      "::1:80",
    ]
  ) {
    assert.throws(() => parseWaitTarget(bad), UsageError, bad);
  }
});
