import assert from "node:assert/strict";
import {
  chunkHeader,
  exitHeader,
  HELLO_REPLY,
  MAX_STREAM_CHUNK,
  parseStdinFrame,
  parseStreamedFrame,
  streamsAccordingTo,
} from "../../lib/exec/stream_protocol.ts";
import { parseExecRequest } from "../../lib/exec/protocol.ts";
import { FrameError } from "../../lib/exec/frame.ts";

const result = {
  stdout_size: 3,
  stderr_size: 1,
  exit_code: null,
  signal: "SIGTERM",
  timed_out: true,
  truncated: false,
  duration_ms: 12,
};

Deno.test("a streamed reply's frames read back as they were written", () => {
  assert.deepEqual(parseStreamedFrame(chunkHeader("stdout", 10)), {
    kind: "chunk",
    type: "stdout",
    size: 10,
  });
  assert.deepEqual(parseStreamedFrame(exitHeader(result)), {
    kind: "exit",
    result,
  });
  assert.deepEqual(parseStreamedFrame({ total_size: 0 }), { kind: "single" });
});

Deno.test("a streamed frame from a hostile server is checked before anything is allocated", () => {
  for (
    const header of [
      { type: "stdout", size: MAX_STREAM_CHUNK + 1 },
      { type: "stderr", size: -1 },
      { type: "exit", exit_code: "0", stdout_size: 0, stderr_size: 0 },
      { type: "exit", exit_code: 0, signal: 9, stdout_size: 0, stderr_size: 0 },
      { type: "video" },
    ]
  ) {
    assert.throws(
      () => parseStreamedFrame(header),
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
    () => parseStdinFrame(chunkHeader("stdin", MAX_STREAM_CHUNK + 1)),
    FrameError,
  );
});

Deno.test('a request asks for streaming with "stream": 1, and for streamed stdin only with it', () => {
  const limits = { maxStdin: 100 };
  const streamed = parseExecRequest(
    { cmd: "cat", stream: 1, stdin: "stream" },
    limits,
  );
  assert.equal(streamed.stream, true);
  assert.equal(streamed.stdinStream, true);
  assert.equal(parseExecRequest({ cmd: "ls" }, limits).stream, undefined);
  assert.throws(
    () => parseExecRequest({ cmd: "ls", stream: 2 }, limits),
    /must be 1/,
  );
  assert.throws(
    () => parseExecRequest({ cmd: "cat", stdin: "stream" }, limits),
    /with "stream": 1/,
  );
  assert.throws(
    () =>
      parseExecRequest({
        cmd: "cat",
        stream: 1,
        stdin: "stream",
        stdin_size: 3,
      }, limits),
    /exclude each other/,
  );
});

Deno.test("the hello reply says the server streams; an error reply does not", () => {
  assert.ok(streamsAccordingTo(HELLO_REPLY));
  assert.ok(!streamsAccordingTo({ error: "bad_request", total_size: 0 }));
});
