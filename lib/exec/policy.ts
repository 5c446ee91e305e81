/**
 * The exec server's decision, in one pass: a request becomes either a plan
 * to run (the program and arguments, the time limit) or a refusal with its
 * error code. The token is checked in constant time with a growing delay
 * for an address that keeps failing; an allow-list command is split into
 * words once, here, and run with no shell.
 *
 * @module
 */

import { sleep } from "../io/timers.ts";
import type { FailureDelay, TokenCheck } from "./auth.ts";
import type { ExecErrorCode, RunRequest } from "./protocol.ts";
import type { CommandLine } from "./runner.ts";
import { ShellWordsError, splitWords } from "./shell_words.ts";

/** A command's time limit on the server by default: 30 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/** What the server allows. */
export interface ExecPolicy {
  /** The token check; one that requires nothing accepts legacy requests. */
  token: TokenCheck;
  /** Delays for addresses that sent a wrong token. */
  failures: FailureDelay;
  /** Programs allowed as a command's first word; absent = run through /bin/sh. */
  allow?: readonly string[];
  /** The server's time limit per command, in ms. @default {DEFAULT_EXEC_TIMEOUT_MS} */
  timeoutMs?: number;
}

/** What to do with a request. */
export type Decision =
  | { kind: "run"; commandLine: CommandLine; timeoutMs: number }
  | {
    kind: "refuse";
    code: ExecErrorCode;
    message: string;
    /** Whether to close the connection after the refusal. */
    close: boolean;
  };

/**
 * Decides what to do with `request` from `peerAddress` (no port). A wrong
 * token waits out the address's failure delay first (cut short by
 * `signal`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decide } from "./policy.ts";
 * import { FailureDelay, TokenCheck } from "./auth.ts";
 * const policy = { token: new TokenCheck(undefined), failures: new FailureDelay(), allow: ["ls"] };
 * const d = await decide({ kind: "run", cmd: "ls -l", reply: "single", stdin: { size: 0 } }, "127.0.0.1", policy);
 * assert.ok(d.kind === "run" && d.commandLine.program === "ls");
 * ```
 */
export async function decide(
  request: RunRequest,
  peerAddress: string,
  policy: ExecPolicy,
  signal?: AbortSignal,
): Promise<Decision> {
  const { token } = policy;
  if (token.required) {
    if (request.legacy) {
      return refuse(
        "unauthorized",
        "This server requires a token: raw (legacy) commands are refused",
        true,
      );
    }
    if (!token.accepts(request.token)) {
      await sleep(policy.failures.recordFailure(peerAddress), signal);
      const what = request.token === undefined ? "missing" : "wrong";
      return refuse("unauthorized", `The token is ${what}`);
    }
    policy.failures.recordSuccess(peerAddress);
  }
  const commandLine = policy.allow
    ? allowedCommand(request.cmd, policy.allow)
    : { program: "/bin/sh", args: ["-c", request.cmd] };
  if (typeof commandLine === "string") {
    return refuse("not_allowed", commandLine);
  }
  const timeoutMs = Math.min(
    policy.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
    request.timeoutMs ?? Infinity,
  );
  return { kind: "run", commandLine, timeoutMs };
}

function refuse(code: ExecErrorCode, message: string, close = false): Decision {
  return { kind: "refuse", code, message, close };
}

/**
 * The command line to run for `cmd` under an allow-list, or why it is not
 * allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowedCommand } from "./policy.ts";
 * const line = allowedCommand("ls -l", ["ls"]);
 * assert.ok(typeof line !== "string" && line.program === "ls");
 * assert.ok(typeof allowedCommand("ls; rm -rf /tmp/x", ["ls"]) === "string");
 * ```
 */
export function allowedCommand(
  cmd: string,
  allow: readonly string[],
): CommandLine | string {
  let words: string[];
  try {
    words = splitWords(cmd);
  } catch (err) {
    if (err instanceof ShellWordsError) return err.message;
    throw err;
  }
  const [program, ...args] = words;
  if (program === undefined) return "The command is empty";
  if (!allow.includes(program)) {
    return `Program "${program}" is not on this server's --allow list`;
  }
  return { program, args };
}
