/**
 * The TCP echo part of `sockit demo`: echo, upper and reverse servers on
 * free loopback ports and a unix socket, and a check for each client path.
 *
 * @module
 */

import { listenLoopback, listenOn } from "../net/listen.ts";
import { createHash, randomBytes } from "node:crypto";
import { formatEndpoint } from "../net/address.ts";
import { formatErrorLine } from "../io/errors.ts";
import type { DemoCheck, DemoSuite } from "./check.ts";
import { demand, expectFailure, memoryIo, posixOnly } from "./check.ts";
import type { EchoMode } from "../tcp_echo/line_modes.ts";
import { Logger } from "../io/log.ts";
import { runTcpEchoClient } from "../tcp_echo/client.ts";
import { serveTcpEcho } from "../tcp_echo/server.ts";

/**
 * Starts the TCP echo demo servers and returns the checks against them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcpEchoDemo } from "./tcp_echo.ts";
 * await using suite = await tcpEchoDemo();
 * assert.ok(suite.checks.length > 0);
 * ```
 */
export async function tcpEchoDemo(): Promise<DemoSuite> {
  const stop = new AbortController();
  const logger = new Logger({
    service: "tcp-echo",
    quiet: true,
    sink: () => {},
  });
  const tempDir = await Deno.makeTempDir({ prefix: "sockit-demo-" });
  const unixPath = `${tempDir}/echo.sock`;
  const listeners = {
    echo: listenLoopback(),
    upper: listenLoopback(),
    reverse: listenLoopback(),
    unix: posixOnly
      ? listenLoopback()
      : await listenOn({ transport: "unix", path: unixPath }),
  };
  const modes: Record<keyof typeof listeners, EchoMode> = {
    echo: "echo",
    upper: "upper",
    reverse: "reverse",
    unix: "echo",
  };
  const served = Object.entries(listeners).map(([key, listener]) =>
    serveTcpEcho(listener, {
      signal: stop.signal,
      logger,
      mode: modes[key as keyof typeof listeners],
    })
  );
  const port = (key: "echo" | "upper" | "reverse") => listeners[key].addr.port;
  const tcp = (key: "echo" | "upper" | "reverse") => ({
    transport: "tcp" as const,
    hostname: "127.0.0.1",
    port: port(key),
  });

  const checks: DemoCheck[] = [
    messageCheck(
      "message round trip",
      tcp("echo"),
      "hello, sockit",
      "hello, sockit",
    ),
    messageCheck("--mode upper", tcp("upper"), "straße", "STRASSE"),
    messageCheck(
      "--mode reverse",
      tcp("reverse"),
      "stressed 👍🏽",
      "👍🏽 desserts",
    ),
    {
      ...messageCheck(
        "unix socket",
        { transport: "unix", path: unixPath },
        "over unix",
        "over unix",
      ),
      ...(posixOnly ? { skip: posixOnly } : {}),
    },
    {
      service: "tcp-echo",
      name: "--expect mismatch exits 1",
      command: `sockit tcp-echo client --port ${
        port("echo")
      } --message hi --expect bye`,
      run: async () => {
        const message = await expectFailure(() =>
          runTcpEchoClient({
            endpoint: tcp("echo"),
            messages: ["hi"],
            expects: ["bye"],
            timeoutMs: 5000,
          }, memoryIo("", false))
        );
        demand(message.includes("differs"), `unexpected failure: ${message}`);
        return `${formatErrorLine(message)} (exit 1)`;
      },
    },
    {
      service: "tcp-echo",
      name: "stdin streamed, 1 MiB binary",
      command: `head -c 1048576 /dev/urandom | sockit tcp-echo client --port ${
        port("echo")
      }`,
      run: async () => {
        const payload = new Uint8Array(randomBytes(1 << 20));
        const io = memoryIo(payload, false);
        await runTcpEchoClient({
          endpoint: tcp("echo"),
          messages: [],
          expects: [],
          timeoutMs: 5000,
        }, io);
        const [sent, got] = [sha256(payload), sha256(io.stdout.bytes())];
        demand(sent === got, `SHA-256 differs: sent ${sent}, got ${got}`);
        return `${io.stdout.bytes().length} bytes back, SHA-256 ${
          got.slice(0, 16)
        }… matches`;
      },
    },
    {
      service: "tcp-echo",
      name: "interactive prompt",
      command: `sockit tcp-echo client --port ${
        port("upper")
      }   (typing: one, two, quit)`,
      run: async () => {
        const typed = ["one", "", "two", "quit"];
        const io = memoryIo(typed.map((line) => line + "\n").join(""), true);
        await runTcpEchoClient({
          endpoint: tcp("upper"),
          messages: [],
          expects: [],
          timeoutMs: 5000,
        }, io);
        const text = io.stdout.text();
        demand(
          text === ">>> ONE\n>>> >>> TWO\n>>> ",
          `unexpected transcript ${JSON.stringify(text)}`,
        );
        const replies = text.split(">>> ").slice(1);
        return typed.map((line, i) => `>>> ${line}\n${replies[i]}`).join("")
          .trim();
      },
    },
    {
      service: "tcp-echo",
      name: "refused connection exits 1",
      command: "sockit tcp-echo client --port <closed port> --message hi",
      run: async () => {
        const closed = listenLoopback();
        const endpoint = {
          transport: "tcp" as const,
          hostname: "127.0.0.1",
          port: closed.addr.port,
        };
        closed.close();
        const message = await expectFailure(() =>
          runTcpEchoClient({
            endpoint,
            messages: ["hi"],
            expects: [],
            timeoutMs: 5000,
          }, memoryIo("", false))
        );
        demand(
          message ===
            `Cannot connect to ${formatEndpoint(endpoint)}: connection refused`,
          `unexpected failure: ${message}`,
        );
        return `${formatErrorLine(message)} (exit 1)`;
      },
    },
  ];

  return {
    checks,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await Promise.all(served);
      await Deno.remove(tempDir, { recursive: true });
    },
  };

  function messageCheck(
    name: string,
    endpoint: Parameters<typeof runTcpEchoClient>[0]["endpoint"],
    message: string,
    expected: string,
  ): DemoCheck {
    const where = endpoint.transport === "unix"
      ? `--unix ${endpoint.path}`
      : `--port ${endpoint.port}`;
    return {
      service: "tcp-echo",
      name,
      command:
        `sockit tcp-echo client ${where} --message '${message}' --expect '${expected}'`,
      run: async () => {
        const io = memoryIo("", false);
        await runTcpEchoClient({
          endpoint,
          messages: [message],
          expects: [expected],
          timeoutMs: 5000,
        }, io);
        return io.stdout.text();
      },
    };
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
