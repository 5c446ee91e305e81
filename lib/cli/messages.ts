/**
 * Clients that send messages and check replies: the `--message` and
 * `--expect` options (paired by position), the check, and how a reply is
 * printed.
 *
 * @module
 */

import { concatBytes } from "../io/bytes.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";
import { SockitError, UsageError } from "../io/errors.ts";
import { texts } from "./option.ts";

/** Options of clients that send messages and check replies. */
export const MESSAGE_OPTIONS = {
  message: texts({
    help: "Send TEXT and print the reply; without it, prompt or read stdin",
    value: "TEXT",
    short: "m",
  }),
  expect: texts({
    help: "Exit 1 unless the reply to the message in the same position is TEXT",
    value: "TEXT",
    short: "e",
  }),
};

/**
 * The messages and expected replies, checking they pair up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { messagesFrom } from "./messages.ts";
 * assert.ok(messagesFrom({ message: ["a"], expect: ["A"] }).expects[0] === "A");
 * ```
 */
export function messagesFrom(
  values: { message: string[]; expect: string[] },
): { messages: string[]; expects: string[] } {
  const { message: messages, expect: expects } = values;
  if (expects.length > 0 && expects.length !== messages.length) {
    throw new UsageError(
      `Got ${expects.length} --expect for ${messages.length} --message: give one --expect per --message`,
    );
  }
  return { messages, expects };
}

const NEWLINE = new Uint8Array([0x0a]);

/**
 * Throws a {@linkcode SockitError} when a reply is not the `--expect` text
 * given for it (nothing to check when `expected` is `undefined`).
 *
 * @example
 * ```ts
 * import { checkExpected } from "./messages.ts";
 * checkExpected("hi", new TextEncoder().encode("hi"), 0);
 * ```
 */
export function checkExpected(
  expected: string | undefined,
  reply: Uint8Array,
  index: number,
): void {
  if (expected === undefined) return;
  const got = new TextDecoder().decode(reply);
  if (got !== expected) {
    throw new SockitError(
      `Reply ${index + 1} differs from --expect: expected ${
        JSON.stringify(expected)
      }, got ${JSON.stringify(got)}`,
    );
  }
}

/**
 * Writes a reply to stdout on a line of its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printReply } from "./messages.ts";
 * import { MemoryWriter } from "../io/memory.ts";
 * const out = new MemoryWriter();
 * await printReply(out, new TextEncoder().encode("hi"));
 * assert.ok(out.text() === "hi\n");
 * ```
 */
export async function printReply(
  stdout: ByteWriter,
  reply: Uint8Array,
): Promise<void> {
  await writeAll(stdout, concatBytes([reply, NEWLINE]));
}
