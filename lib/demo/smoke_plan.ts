/**
 * The `sockit check` part of `sockit demo`: a plan run against a TCP echo
 * and a UDP uppercase server on free loopback ports, one plan that passes
 * and one whose failing check is reported with what was expected against
 * what came.
 *
 * @module
 */

import { listenLoopback } from "../net/listen.ts";
import { bindLoopbackDatagram } from "../net/listen.ts";
import { checkLine } from "../check/report.ts";
import { runPlan } from "../check/run.ts";
import { ownCommandLine } from "../cli/self.ts";
import { Logger } from "../io/log.ts";
import { serveTcpEcho } from "../tcp_echo/server.ts";
import { serveUdpUpper } from "../udp_upper/server.ts";
import { demand, type DemoSuite } from "./check.ts";

/**
 * Starts the servers the demo's plans probe and returns the checks that run them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { smokePlanDemo } from "./smoke_plan.ts";
 * await using suite = await smokePlanDemo();
 * assert.ok(suite.checks.length === 2);
 * ```
 */
export function smokePlanDemo(): Promise<DemoSuite> {
  const stop = new AbortController();
  const logger = new Logger({ service: "demo", quiet: true, sink: () => {} });
  const echo = listenLoopback();
  const upper = bindLoopbackDatagram();
  const served = [
    serveTcpEcho(echo, { signal: stop.signal, logger }),
    serveUdpUpper(upper, { signal: stop.signal, logger }),
  ];
  const plan = async (checks: string) =>
    (await import("../check/plan_reader.ts")).parsePlan(
      `vars:\n  echo: "127.0.0.1:${echo.addr.port}"\n  upper: "127.0.0.1:${
        (upper.addr as Deno.NetAddr).port
      }"\nchecks:\n${checks}`,
      "demo.yaml",
    );
  const run = async (checks: string) => {
    const result = await runPlan(await plan(checks), {
      sockit: ownCommandLine(),
      signal: new AbortController().signal,
      env: () => undefined,
    });
    return result.results;
  };
  return Promise.resolve({
    checks: [
      {
        service: "check",
        name: "a plan: TCP, UDP, refused",
        command: "sockit check demo.yaml",
        async run() {
          const results = await run(`  - name: echo answers
    tcp: \${vars.echo}
    send: "ping\\n"
    expect: { equals: "ping\\n", within: 2s }
  - name: upper answers
    udp: \${vars.upper}
    send: hi
    expect: { equals: HI }
  - name: port 1 is closed
    tcp: 127.0.0.1:1
    expect: refused
`);
          demand(
            results.length === 3 && results.every((r) => r.pass),
            results.map(checkLine).join("\n"),
          );
          return results.map(checkLine).join("\n");
        },
      },
      {
        service: "check",
        name: "a failing check says what came",
        command: "sockit check wrong.yaml   # exit 1",
        async run() {
          const [result] = await run(`  - name: echo says pong
    tcp: \${vars.echo}
    send: "ping\\n"
    expect: { equals: "pong\\n" }
`);
          demand(
            result !== undefined && !result.pass &&
              result.got === '"ping\\n"',
            "the failing check was not reported as such",
          );
          return checkLine(result);
        },
      },
    ],
    async [Symbol.asyncDispose]() {
      stop.abort();
      await Promise.all(served);
    },
  });
}
