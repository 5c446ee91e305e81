import assert from "node:assert/strict";
import {
  couldBeText,
  decodeHeader,
  encodeHeader,
  FrameError,
  looksFramed,
  MAX_HEADER_BYTES,
  parseHeaderJson,
} from "../lib/exec/frame.ts";
import {
  clientExitCode,
  parseExecRequest,
  parseExecResponse,
} from "../lib/exec/protocol.ts";

const encode = (s: string) => new TextEncoder().encode(s);

Deno.test("decodeHeader() gives the same header whatever prefix of the bytes it sees", () => {
  const header = { cmd: "printf 'é😀'", token: "t", stdin_size: 3 };
  const frame = encodeHeader(header);
  for (let cut = 0; cut < frame.length; cut++) {
    const partial = decodeHeader(frame.subarray(0, cut));
    assert.equal(partial.kind, "incomplete", `cut at ${cut}`);
    if (partial.kind === "incomplete") assert.ok(partial.needed > cut);
  }
  const whole = decodeHeader(new Uint8Array([...frame, 1, 2, 3]));
  assert.deepEqual(whole, { kind: "header", header, size: frame.length });
});

Deno.test("the length prefix is 4 bytes little-endian, compatible with struct.pack('i', n)", () => {
  const frame = encodeHeader({ a: "x".repeat(300) });
  const n = frame.length - 4;
  assert.deepEqual([...frame.subarray(0, 4)], [
    n & 0xff,
    (n >> 8) & 0xff,
    0,
    0,
  ]);
});

Deno.test("decodeHeader() rejects lengths out of range before waiting for them", () => {
  for (
    const length of [0, 1, MAX_HEADER_BYTES + 1, 70_000, 0x7fffffff, 0xffffffff]
  ) {
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, length, true);
    assert.throws(() => decodeHeader(prefix), FrameError, `length ${length}`);
  }
  const max = new Uint8Array(4);
  new DataView(max.buffer).setUint32(0, MAX_HEADER_BYTES, true);
  assert.equal(decodeHeader(max).kind, "incomplete");
});

Deno.test("parseHeaderJson() refuses bad UTF-8, bad JSON, non-objects and __proto__ keys", () => {
  for (
    const bad of [
      new Uint8Array([0x7b, 0xff, 0x7d]),
      encode("{"),
      encode("[1]"),
      encode("null"),
      encode('"s"'),
      encode('{"__proto__":{}}'),
      encode('{"a":{"__proto__":{}}}'),
    ]
  ) {
    assert.throws(() => parseHeaderJson(bad), FrameError);
  }
});

Deno.test("looksFramed() and couldBeText() tell frames from legacy commands", () => {
  assert.ok(looksFramed(encodeHeader({ cmd: "x" })));
  for (const cmd of ["ls -l", "uname -a", "echo hi"]) {
    assert.ok(!looksFramed(encode(cmd)), cmd);
  }
  assert.ok(couldBeText(encode("ls\t-l\r\n")));
  assert.ok(!couldBeText(new Uint8Array([0x2a, 0x00])));
});

Deno.test("encodeHeader() refuses a header over 64 KiB", () => {
  assert.throws(
    () => encodeHeader({ cmd: "x".repeat(MAX_HEADER_BYTES) }),
    RangeError,
  );
});

Deno.test("parseExecRequest() checks every field", () => {
  const limits = { maxStdin: 100 };
  assert.deepEqual(
    parseExecRequest({ cmd: "ls", timeout_ms: 5, token: "t" }, limits),
    {
      cmd: "ls",
      stdinSize: 0,
      token: "t",
      timeoutMs: 5,
    },
  );
  for (
    const bad of [
      {},
      { cmd: 1 },
      { cmd: "" },
      { cmd: "a\u0000b" },
      { cmd: "ls", token: 5 },
      { cmd: "ls", stdin_size: -1 },
      { cmd: "ls", stdin_size: 101 },
      { cmd: "ls", stdin_size: 1.5 },
      { cmd: "ls", timeout_ms: 0 },
      { cmd: "ls", timeout_ms: "5" },
    ]
  ) {
    assert.throws(
      () => parseExecRequest(bad, limits),
      FrameError,
      JSON.stringify(bad),
    );
  }
});

Deno.test("parseExecResponse() defaults sizes the seeds' servers leave out", () => {
  const r = parseExecResponse({ total_size: 5 }, 10);
  assert.equal(r.kind, "result");
  if (r.kind === "result") {
    assert.equal(r.stdout_size, 5);
    assert.equal(r.stderr_size, 0);
    assert.equal(r.exit_code, null);
  }
  assert.throws(
    () => parseExecResponse({ total_size: 1, error: "busy" }, 10),
    /total_size 0/,
  );
  assert.throws(
    () => parseExecResponse({ total_size: 0, exit_code: 1.5 }, 10),
    /exit_code/,
  );
  assert.throws(
    () => parseExecResponse({ total_size: 0, sha256: "xyz" }, 10),
    /sha256/,
  );
});

Deno.test("clientExitCode() follows ssh and timeout(1)", () => {
  assert.equal(
    clientExitCode({ exit_code: 3, signal: null, timed_out: false }),
    3,
  );
  assert.equal(
    clientExitCode({ exit_code: null, signal: "SIGTERM", timed_out: false }),
    143,
  );
  assert.equal(
    clientExitCode({ exit_code: null, signal: "SIGTERM", timed_out: true }),
    124,
  );
});
