/**
 * The exec part of `sockit demo`: a token-protected exec server and an
 * allowlist server on free loopback ports, and the client paths against
 * them.
 *
 * @module
 */

import { listenLoopback } from "../net/listen.ts";
import { randomBytes } from "node:crypto";
import type { DemoCheck, DemoSuite } from "./check.ts";
import { demand, expectFailure, memoryIo, posixOnly } from "./check.ts";
import { formatErrorLine } from "../io/errors.ts";
import { TokenCheck } from "../exec/auth.ts";
import { type ExecClientOptions, runExecClient } from "../exec/client.ts";
import { EXIT_TRANSPORT } from "../exec/session.ts";
import { serveExec } from "../exec/server.ts";
import { Logger } from "../io/log.ts";

/**
 * Starts the exec demo servers and returns the checks against them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { execDemo } from "./exec.ts";
 * await using suite = await execDemo();
 * assert.ok(suite.checks.length > 0);
 * ```
 */
export function execDemo(): Promise<DemoSuite> {
  const stop = new AbortController();
  const logger = new Logger({ service: "exec", quiet: true, sink: () => {} });
  const token = randomBytes(16).toString("hex");
  const guarded = listenLoopback();
  const allowlist = listenLoopback();
  const served = [
    serveExec(guarded, {
      signal: stop.signal,
      logger,
      token: new TokenCheck(token),
    }),
    serveExec(allowlist, {
      signal: stop.signal,
      logger,
      token: new TokenCheck(undefined),
      allow: ["echo"],
    }),
  ];
  const port = guarded.addr.port;
  const client = (
    command: string,
    extra: Partial<ExecClientOptions> = {},
  ): ExecClientOptions => ({
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port },
    command,
    token,
    timeoutMs: 10_000,
    maxOutput: 16 * 1024 * 1024,
    ...extra,
  });
  const run = async (options: ExecClientOptions, expectedCode: number) => {
    const io = memoryIo("", false);
    const code = await runExecClient(options, io);
    demand(
      code === expectedCode,
      `exit code ${code}, expected ${expectedCode}`,
    );
    return `${io.stdout.text()}${io.stderr.text()}(exit ${code})`;
  };
  const refused = async (options: ExecClientOptions, pattern: RegExp) => {
    const message = await expectFailure(() =>
      runExecClient(options, memoryIo("", false))
    );
    demand(pattern.test(message), `unexpected failure: ${message}`);
    return `${formatErrorLine(message)} (exit ${EXIT_TRANSPORT})`;
  };
  const checks: DemoCheck[] = [
    {
      service: "exec",
      name: "command with a token",
      command: `SOCKIT_TOKEN=… sockit exec client --port ${port} -- echo hello`,
      run: () => run(client("echo hello"), 0),
    },
    {
      service: "exec",
      name: "remote exit code, stderr",
      command:
        `sockit exec client --port ${port} --cmd 'echo oops >&2; exit 3'`,
      run: () => run(client("echo oops >&2; exit 3"), 3),
    },
    {
      service: "exec",
      name: "timeout exits 124",
      command: `sockit exec client --port ${port} --timeout 0.2 -- sleep 5`,
      run: () => run(client("sleep 5", { timeoutMs: 200 }), 124),
    },
    {
      service: "exec",
      name: "missing token refused",
      command: `sockit exec client --port ${port} -- echo hello   (no token)`,
      run: () => {
        const { token: _token, ...noToken } = client("echo hello");
        return refused(noToken, /unauthorized/);
      },
    },
    {
      service: "exec",
      name: "--allow refuses a shell",
      command:
        `sockit exec client --port ${allowlist.addr.port} --cmd 'echo hi; rm -rf /tmp/x'`,
      run: () => {
        const { token: _token, ...options } = client("echo hi; rm -rf /tmp/x", {
          endpoint: {
            transport: "tcp",
            hostname: "127.0.0.1",
            port: allowlist.addr.port,
          },
        });
        return refused(options, /not_allowed/);
      },
    },
  ];
  return Promise.resolve({
    checks: checks.map((check) =>
      posixOnly ? { ...check, skip: posixOnly } : check
    ),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await Promise.all(served);
    },
  });
}
