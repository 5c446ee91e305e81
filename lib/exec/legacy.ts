/**
 * The seeds' legacy exec protocol: a raw command line with no frame, ended
 * by a pause, answered like any request. A framed request is told apart by
 * its fourth byte: a frame's length is at most 65,536, so that byte is zero,
 * which a text command never has.
 *
 * @module
 */

import type { BufferedReader } from "../io/buffered_reader.ts";
import { PAUSE_ENDS_MESSAGE_MS } from "../io/timers.ts";
import { FrameError, PREFIX_BYTES } from "./frame.ts";
import { checkCommandText } from "./protocol.ts";

/** A legacy request ends when no byte comes for this long, in ms (the one pause rule). */
export const LEGACY_PAUSE_MS = PAUSE_ENDS_MESSAGE_MS;
/** The longest legacy (raw) command: 64 KiB. */
export const MAX_LEGACY_BYTES = 64 * 1024;

/**
 * Whether the first bytes of a request start a frame rather than a legacy
 * raw command. Needs at least 4 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { looksFramed } from "./legacy.ts";
 * import { encodeHeader } from "./frame.ts";
 * assert.ok(looksFramed(encodeHeader({ cmd: "ls" })));
 * assert.ok(!looksFramed(new TextEncoder().encode("uname -a")));
 * ```
 */
export function looksFramed(prefix: Uint8Array): boolean {
  return prefix.length >= PREFIX_BYTES && prefix[3] === 0;
}

/**
 * Whether bytes could begin a legacy (raw text) command: no control bytes
 * but tab, CR and LF. Fewer than 4 bytes then a pause are a legacy command
 * only if they could be; otherwise they are the start of a frame's prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { couldBeText } from "./legacy.ts";
 * assert.ok(couldBeText(new TextEncoder().encode("ls")) && !couldBeText(new Uint8Array([0x10])));
 * ```
 */
export function couldBeText(bytes: Uint8Array): boolean {
  return bytes.every((b) =>
    b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d
  );
}

/**
 * Waits for a request's first bytes and says which protocol it speaks, or
 * `gone` if the client closed first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sniffRequest } from "./legacy.ts";
 * import { BufferedReader } from "../io/buffered_reader.ts";
 * import { MemoryReader } from "../io/memory.ts";
 * const input = new BufferedReader(new MemoryReader(new TextEncoder().encode("ls -l")), 1024);
 * assert.ok((await sniffRequest(input)) === "legacy");
 * ```
 */
export async function sniffRequest(
  input: BufferedReader,
): Promise<"framed" | "legacy" | "gone"> {
  let start = await input.fill(PREFIX_BYTES, LEGACY_PAUSE_MS);
  if (start === "pause" && !couldBeText(input.view())) {
    start = await input.fill(PREFIX_BYTES);
  }
  if (start === "eof") return "gone";
  return start === "ok" && looksFramed(input.view()) ? "framed" : "legacy";
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a legacy command: every byte until a pause of
 * {@linkcode LEGACY_PAUSE_MS} or EOF, at most {@linkcode MAX_LEGACY_BYTES},
 * without its final line ending. Throws a {@linkcode FrameError} for a
 * command that is too long, not UTF-8, empty or holding a NUL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLegacyCommand } from "./legacy.ts";
 * import { BufferedReader } from "../io/buffered_reader.ts";
 * import { MemoryReader } from "../io/memory.ts";
 * const input = new BufferedReader(new MemoryReader(new TextEncoder().encode("uname -a\n")), 1 << 20);
 * assert.ok((await readLegacyCommand(input)) === "uname -a");
 * ```
 */
export async function readLegacyCommand(
  input: BufferedReader,
): Promise<string> {
  while (input.length < MAX_LEGACY_BYTES) {
    const more = await input.fill(input.length + 1, LEGACY_PAUSE_MS);
    if (more !== "ok") break;
  }
  if (input.length > MAX_LEGACY_BYTES) {
    throw new FrameError(`A raw command is over ${MAX_LEGACY_BYTES} bytes`);
  }
  let cmd: string;
  try {
    cmd = strictDecoder.decode(input.take(input.length));
  } catch {
    throw new FrameError("The command is not valid UTF-8");
  }
  cmd = cmd.replace(/\r?\n$/, "");
  checkCommandText(cmd);
  return cmd;
}
