/**
 * The UDP part of `sockit demo`: an uppercase server on a free loopback
 * port, a silent port for the no-reply path, and a chat between an
 * in-process server and client.
 *
 * @module
 */

import { bindLoopbackDatagram } from "../net/listen.ts";
import { runChatClient } from "../chat/client.ts";
import { runChatServer } from "../chat/server.ts";
import type { DemoCheck, DemoSuite } from "./check.ts";
import { demand, expectFailure, memoryIo } from "./check.ts";
import { formatErrorLine } from "../io/errors.ts";
import { Logger } from "../io/log.ts";
import { QueueReader, WatchedWriter } from "../io/memory.ts";
import { Deadline } from "../io/timers.ts";
import {
  runUdpUpperClient,
  type UdpUpperClientOptions,
} from "../udp_upper/client.ts";
import { serveUdpUpper } from "../udp_upper/server.ts";

/**
 * Starts the UDP demo servers and returns the checks against them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { udpDemo } from "./udp.ts";
 * await using suite = await udpDemo();
 * assert.ok(suite.checks.length > 0);
 * ```
 */
export function udpDemo(): Promise<DemoSuite> {
  const stop = new AbortController();
  const logger = new Logger({
    service: "udp-upper",
    quiet: true,
    sink: () => {},
  });
  const socket = bindLoopbackDatagram();
  const port = (socket.addr as Deno.NetAddr).port;
  const served = serveUdpUpper(socket, { signal: stop.signal, logger });
  const options = (
    extra: Partial<UdpUpperClientOptions>,
  ): UdpUpperClientOptions => ({
    endpoint: { transport: "udp", hostname: "127.0.0.1", port },
    messages: [],
    expects: [],
    timeoutMs: 500,
    retries: 4,
    ...extra,
  });
  const upper = (
    name: string,
    message: string,
    expected: string,
  ): DemoCheck => ({
    service: "udp-upper",
    name,
    command:
      `sockit udp-upper client --port ${port} --message '${message}' --expect '${expected}'`,
    run: async () => {
      const io = memoryIo("", false);
      await runUdpUpperClient(
        options({ messages: [message], expects: [expected] }),
        io,
      );
      return io.stdout.text();
    },
  });

  const checks: DemoCheck[] = [
    upper("message round trip", "hello", "HELLO"),
    upper("Unicode, never longer", "straße ΐ", "STRASSE ΐ"),
    {
      service: "udp-upper",
      name: "one datagram per stdin line",
      command: `printf 'one\\ntwo\\n' | sockit udp-upper client --port ${port}`,
      run: async () => {
        const io = memoryIo("one\ntwo\n", false);
        await runUdpUpperClient(options({}), io);
        demand(
          io.stdout.text() === "ONE\nTWO\n",
          `got ${JSON.stringify(io.stdout.text())}`,
        );
        return io.stdout.text();
      },
    },
    {
      service: "udp-upper",
      name: "no reply: retries, then exit 1",
      command:
        "sockit udp-upper client --port <silent port> --message hi --timeout 0.05 --retries 2",
      run: async () => {
        const silent = bindLoopbackDatagram();
        try {
          const silentPort = (silent.addr as Deno.NetAddr).port;
          const message = await expectFailure(() =>
            runUdpUpperClient(
              options({
                endpoint: {
                  transport: "udp",
                  hostname: "127.0.0.1",
                  port: silentPort,
                },
                messages: ["hi"],
                timeoutMs: 50,
                retries: 2,
              }),
              memoryIo("", false),
            )
          );
          demand(
            message.includes("after 3 tries"),
            `unexpected failure: ${message}`,
          );
          return `${formatErrorLine(message)} (exit 1)`;
        } finally {
          silent.close();
        }
      },
    },
    {
      service: "chat",
      name: "messages both ways, quit",
      command:
        "sockit chat server --port 0   and   sockit chat client --name alice",
      run: () => chatExchange(),
    },
  ];

  return Promise.resolve({
    checks,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await served;
    },
  });
}

async function chatExchange(): Promise<string> {
  const socket = bindLoopbackDatagram();
  const port = (socket.addr as Deno.NetAddr).port;
  const serverIn = new QueueReader();
  const serverOut = new WatchedWriter();
  const clientIn = new QueueReader();
  const clientOut = new WatchedWriter();
  const stop = new AbortController();
  const logger = new Logger({ service: "chat", quiet: true, sink: () => {} });
  const server = runChatServer(socket, {
    signal: stop.signal,
    logger,
    io: {
      stdin: serverIn,
      stdinIsTerminal: false,
      stdout: serverOut,
      stderr: serverOut,
    },
  });
  const client = runChatClient(
    {
      endpoint: { transport: "udp", hostname: "127.0.0.1", port },
      name: "alice",
    },
    {
      stdin: clientIn,
      stdinIsTerminal: false,
      stdout: clientOut,
      stderr: clientOut,
    },
  );
  using _deadline = new Deadline(5000, () => {
    stop.abort();
    clientIn.close();
    serverIn.close();
  });
  clientIn.push("hello server\n");
  await Promise.race([
    serverOut.waitFor(/alice@127\.0\.0\.1:\d+: hello server/),
    server,
  ]);
  serverIn.push("hi alice\n");
  await Promise.race([clientOut.waitFor(/server: hi alice/), client]);
  serverIn.push("quit\n");
  await Promise.all([server, client]);
  clientIn.close();
  demand(
    clientOut.text().endsWith("server ended the chat\n"),
    `client saw ${JSON.stringify(clientOut.text())}`,
  );
  return `server: ${serverOut.text().trim()}\nclient: ${
    clientOut.text().trim().replaceAll("\n", "\nclient: ")
  }`;
}
