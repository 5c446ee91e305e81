/**
 * A reply as the exec client holds it, and how it is reported like ssh:
 * remote stdout to stdout, remote stderr to stderr (or one JSON object),
 * and the remote status as the exit code.
 *
 * @module
 */

import type { ClientIo } from "../cli/client_io.ts";
import { writeAll } from "../io/streams.ts";
import { clientExitCode, type ExecResponse } from "./protocol.ts";

/** A reply: the validated header and the body, split (empty when it was streamed). */
export interface Reply {
  response: Extract<ExecResponse, { kind: "result" }>;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Whether the output went out as it came, frame by frame. */
  streamed?: boolean;
}

const decoder = new TextDecoder();

/**
 * Writes a reply out and resolves to the client's exit code: the output
 * (nothing more when it was streamed), or with `json` one object (for a
 * streamed reply, the exit frame's object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { report } from "./reply.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const io = { stdout: new MemoryWriter(), stderr: new MemoryWriter() };
 * const response = { kind: "result" as const, total_size: 2, sha256: null, stdout_size: 2, stderr_size: 0, exit_code: 3, signal: null, timed_out: false, truncated: false, duration_ms: 1 };
 * assert.ok((await report({ response, stdout: new Uint8Array([104, 105]), stderr: new Uint8Array() }, {}, io)) === 3);
 * ```
 */
export async function report(
  reply: Reply,
  options: { json?: boolean | undefined },
  io: Pick<ClientIo, "stdout" | "stderr">,
): Promise<number> {
  const { response } = reply;
  if (options.json && reply.streamed) {
    const { kind: _kind, total_size: _t, sha256: _s, ...fields } = response;
    const json = JSON.stringify({ type: "exit", ...fields });
    await writeAll(io.stdout, new TextEncoder().encode(json + "\n"));
  } else if (options.json) {
    const { kind: _kind, ...fields } = response;
    const json = JSON.stringify({
      ...fields,
      stdout: decoder.decode(reply.stdout),
      stderr: decoder.decode(reply.stderr),
    });
    await writeAll(io.stdout, new TextEncoder().encode(json + "\n"));
  } else {
    await writeAll(io.stdout, reply.stdout);
    await writeAll(io.stderr, reply.stderr);
  }
  return clientExitCode(response);
}
