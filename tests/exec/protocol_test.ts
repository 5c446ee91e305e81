import assert from "node:assert/strict";
import { FrameError } from "../../lib/exec/frame.ts";
import {
  announcedBodySize,
  chunkHeader,
  encodeRequest,
  exitHeader,
  HELLO_REPLY,
  HELLO_REQUEST,
  MAX_CHUNK_BYTES,
  parseReplyFrame,
  parseRequest,
  parseStdinFrame,
  singleReplyHeader,
  streamsAccordingTo,
} from "../../lib/exec/protocol.ts";
import { clientExitCode, parseResult } from "../../lib/exec/result.ts";

const limits = { maxStdin: 100 };

const result = {
  stdout_size: 3,
  stderr_size: 1,
  exit_code: null,
  signal: "SIGTERM",
  timed_out: true,
  truncated: false,
  duration_ms: 12,
};

Deno.test("parseRequest() checks every field", () => {
  assert.deepEqual(
    parseRequest({ cmd: "ls", timeout_ms: 5, token: "t" }, limits),
    {
      kind: "run",
      cmd: "ls",
      reply: "single",
      stdin: { size: 0 },
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
      () => parseRequest(bad, limits),
      FrameError,
      JSON.stringify(bad),
    );
  }
});

Deno.test("a request is a hello or a run, with its reply mode and its stdin mode decided once", () => {
  assert.deepEqual(parseRequest(HELLO_REQUEST, limits), { kind: "hello" });
  assert.equal(parseRequest({ hello: 1, cmd: "ls" }, limits).kind, "run");
  const streamed = parseRequest(
    { cmd: "cat", stream: 1, stdin: "stream" },
    limits,
  );
  assert.deepEqual(streamed, {
    kind: "run",
    cmd: "cat",
    reply: "stream",
    stdin: "frames",
  });
  assert.deepEqual(encodeRequest(streamed), {
    cmd: "cat",
    stream: 1,
    stdin: "stream",
  });
  assert.throws(
    () => parseRequest({ cmd: "ls", stream: 2 }, limits),
    /must be 1/,
  );
  assert.throws(
    () => parseRequest({ cmd: "cat", stdin: "stream" }, limits),
    /with "stream": 1/,
  );
  assert.throws(
    () =>
      parseRequest(
        { cmd: "cat", stream: 1, stdin: "stream", stdin_size: 3 },
        limits,
      ),
    /exclude each other/,
  );
});

Deno.test("a single reply's header and an exit frame carry the result through the same codec", () => {
  const body = new TextEncoder().encode("abcd");
  const single = parseReplyFrame(
    singleReplyHeader(result, body.subarray(0, 3), body.subarray(3)),
    10,
  );
  assert.equal(single.kind, "single");
  if (single.kind === "single") {
    assert.deepEqual(single.result, result);
    assert.equal(single.total, 4);
    assert.match(single.sha256 ?? "", /^[0-9a-f]{64}$/);
  }
  assert.deepEqual(parseReplyFrame(exitHeader(result), 0), {
    kind: "exit",
    result,
  });
  assert.deepEqual(parseReplyFrame(chunkHeader("stdout", 10), 0), {
    kind: "chunk",
    type: "stdout",
    size: 10,
  });
});

Deno.test("one set of rules: a missing exit_code or signal is null wherever the result comes", () => {
  const single = parseReplyFrame({ total_size: 5 }, 10);
  assert.equal(single.kind, "single");
  if (single.kind === "single") {
    assert.equal(single.result.stdout_size, 5);
    assert.equal(single.result.stderr_size, 0);
    assert.equal(single.result.exit_code, null);
    assert.equal(single.result.signal, null);
  }
  const exit = parseReplyFrame({ type: "exit" }, 0, { stdout: 7, stderr: 2 });
  assert.deepEqual(exit, {
    kind: "exit",
    result: {
      stdout_size: 7,
      stderr_size: 2,
      exit_code: null,
      signal: null,
      timed_out: false,
      truncated: false,
      duration_ms: 0,
    },
  }, "an exit frame's missing sizes are the bytes counted");
  for (const bad of [{ exit_code: 1.5 }, { signal: 9 }, { exit_code: "0" }]) {
    assert.throws(() => parseResult(bad, { stdout: 0, stderr: 0 }), FrameError);
    assert.throws(
      () => parseReplyFrame({ total_size: 0, ...bad }, 10),
      FrameError,
      `single ${JSON.stringify(bad)}`,
    );
    assert.throws(
      () => parseReplyFrame({ type: "exit", ...bad }, 10),
      FrameError,
      `exit ${JSON.stringify(bad)}`,
    );
  }
});

Deno.test("a reply frame from a hostile server is checked before anything is allocated", () => {
  for (
    const header of [
      { type: "stdout", size: MAX_CHUNK_BYTES + 1 },
      { type: "stderr", size: -1 },
      { type: "exit", exit_code: 0, stdout_size: -1 },
      { type: "video" },
      { total_size: 11 },
      { total_size: 1, error: "busy" },
      { total_size: 4, stdout_size: 5 },
      { total_size: 4, stdout_size: 1, stderr_size: 1 },
      { total_size: 0, sha256: "xyz" },
    ]
  ) {
    assert.throws(
      () => parseReplyFrame(header, 10),
      FrameError,
      JSON.stringify(header),
    );
  }
});

Deno.test("stdin frames: data within 64 KiB, or the end; nothing else", () => {
  assert.deepEqual(parseStdinFrame(chunkHeader("stdin", 5)), {
    kind: "data",
    size: 5,
  });
  assert.deepEqual(parseStdinFrame({ type: "stdin_end" }), { kind: "end" });
  assert.throws(() => parseStdinFrame({ cmd: "ls" }), FrameError);
  assert.throws(
    () => parseStdinFrame(chunkHeader("stdin", MAX_CHUNK_BYTES + 1)),
    FrameError,
  );
});

Deno.test("the hello reply says the server streams; an error reply does not", () => {
  assert.ok(streamsAccordingTo(HELLO_REPLY));
  assert.ok(!streamsAccordingTo({ error: "bad_request", total_size: 0 }));
});

Deno.test("announcedBodySize() follows every message's body, as the trace does", () => {
  assert.equal(announcedBodySize({ cmd: "cat", stdin_size: 3 }), 3);
  assert.equal(announcedBodySize({ total_size: 9 }), 9);
  assert.equal(announcedBodySize(chunkHeader("stdin", 4)), 4);
  assert.equal(announcedBodySize({ total_size: -1 }), 0);
  assert.equal(announcedBodySize(exitHeader(result)), 0);
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
