/**
 * `sockit bench`: the command-line face of the load generator, one role per
 * service it drives, with the `--min-rps`/`--max-p99` guards.
 *
 * @module
 */

import { processIo } from "../cli/client_io.ts";
import { type Command, defineCommand, type Service } from "../cli/command.ts";
import { SockitError } from "../io/errors.ts";
import { count, duration, flag, number, size, text } from "../cli/option.ts";
import { writeAll } from "../io/streams.ts";
import { MiB } from "../io/units.ts";
import {
  connectOptions,
  endpointFrom,
  hostPortOptions,
} from "../options/address_options.ts";
import { timeoutOption } from "../options/limit_options.ts";
import { clientTlsFrom, TLS_CLIENT_OPTIONS } from "../options/tls_options.ts";
import { MAX_DATAGRAM_BYTES } from "../net/udp_socket.ts";
import {
  loadToken,
  refuseInsecureToken,
  tokenOptions,
} from "../options/token_options.ts";
import { EXEC_PORT } from "../exec/server.ts";
import { TCP_ECHO_PORT } from "../tcp_echo/server.ts";
import { UDP_UPPER_PORT } from "../udp_upper/server.ts";
import { checkBenchGuards, formatBenchResult, ProgressLine } from "./report.ts";
import {
  BENCH_COMMAND,
  type BenchOptions,
  type BenchResult,
  runBench,
} from "./run.ts";

/** A request unanswered this long is an error, by default: 2 s. */
/** Clients a bench opens by default, by target. */
export const BENCH_CONNECTIONS = {
  "tcp-echo": 50,
  "udp-upper": 16,
  exec: 8,
} as const;
/** Clients one bench may open: 10,000. */
export const MAX_BENCH_CONNECTIONS = 10000;
/** The longest bench run, in ms: an hour. */
export const MAX_BENCH_DURATION_MS = 3_600_000;
/** The largest request a TCP or exec bench sends: 1 MiB. */
export const MAX_BENCH_SIZE = MiB;
export const BENCH_TIMEOUT_MS = 2000;
/** How long a run lasts by default: 10 s. */
export const BENCH_DURATION_MS = 10_000;
/** Bytes per request by default: 64. */
export const BENCH_SIZE = 64;

const TIMEOUT_HELP = "A request unanswered this long is an error";

/** Options every bench target has: how many clients, how long, and the guards. */
function loadOptions(defaultConnections: number, clients: string) {
  return {
    connections: count({
      help: `${clients} at once`,
      value: "N",
      min: 1,
      max: MAX_BENCH_CONNECTIONS,
      default: defaultConnections,
    }),
    duration: duration({
      help: "How long to run",
      value: "SECONDS",
      min: 100,
      max: MAX_BENCH_DURATION_MS,
      default: BENCH_DURATION_MS,
    }),
  };
}

const REPORT_OPTIONS = {
  json: flag({
    help: "Print one JSON object instead of the table (no progress line)",
  }),
  minRps: number({
    help: "Exit 1 if requests/s is under N",
    value: "N",
    min: 0,
    max: 1e9,
  }),
  maxP99: number({
    help: "Exit 1 if the 99th-percentile latency is over MS milliseconds",
    value: "MS",
    min: 0,
    max: 3600000,
  }),
};

function sizeOption(max: number) {
  return {
    size: size({
      help: "Bytes per request",
      value: "SIZE",
      min: 1,
      max,
      default: BENCH_SIZE,
    }),
  };
}

const tcpEcho = defineCommand({
  role: "tcp-echo",
  summary: "echo requests of --size bytes, one in flight per connection",
  options: {
    ...connectOptions(TCP_ECHO_PORT),
    ...timeoutOption(BENCH_TIMEOUT_MS, TIMEOUT_HELP),
    ...TLS_CLIENT_OPTIONS,
    ...loadOptions(BENCH_CONNECTIONS["tcp-echo"], "Connections"),
    ...sizeOption(MAX_BENCH_SIZE),
    ...REPORT_OPTIONS,
  },
  async run(values) {
    const io = processIo();
    const tls = await clientTlsFrom(values, io);
    return await report(values, {
      target: "tcp-echo",
      endpoint: endpointFrom(values, "tcp"),
      connections: values.connections,
      durationMs: values.duration,
      size: values.size,
      timeoutMs: values.timeout,
      ...(tls ? { tls } : {}),
    });
  },
});

const udpUpper = defineCommand({
  role: "udp-upper",
  summary: "datagrams of --size bytes, one in flight per socket",
  options: {
    ...hostPortOptions(UDP_UPPER_PORT),
    ...timeoutOption(BENCH_TIMEOUT_MS, TIMEOUT_HELP),
    ...loadOptions(BENCH_CONNECTIONS["udp-upper"], "Sockets"),
    ...sizeOption(MAX_DATAGRAM_BYTES),
    ...REPORT_OPTIONS,
  },
  run: (values) =>
    report(values, {
      target: "udp-upper",
      endpoint: endpointFrom(values, "udp"),
      connections: values.connections,
      durationMs: values.duration,
      size: values.size,
      timeoutMs: values.timeout,
    }),
});

const exec = defineCommand({
  role: "exec",
  summary: "run --cmd (default true), one in flight per connection",
  options: {
    ...connectOptions(EXEC_PORT),
    ...timeoutOption(BENCH_TIMEOUT_MS, TIMEOUT_HELP),
    ...TLS_CLIENT_OPTIONS,
    ...loadOptions(BENCH_CONNECTIONS.exec, "Connections"),
    cmd: text({
      help: "The command each request runs",
      value: "STRING",
      default: BENCH_COMMAND,
    }),
    ...tokenOptions("Send"),
    ...REPORT_OPTIONS,
  },
  async run(values) {
    const io = processIo();
    const tls = await clientTlsFrom(values, io);
    const token = await loadToken(values.tokenFile, values.token);
    refuseInsecureToken(values, token);
    return await report(values, {
      target: "exec",
      endpoint: endpointFrom(values, "tcp"),
      connections: values.connections,
      durationMs: values.duration,
      size: 0,
      timeoutMs: values.timeout,
      command: values.cmd,
      ...(token === undefined ? {} : { token }),
      ...(tls ? { tls } : {}),
    });
  },
});

/** Runs the load, prints the result, then applies the guards. */
async function report(
  values: {
    json: boolean;
    minRps: number | undefined;
    maxP99: number | undefined;
  },
  options: BenchOptions,
): Promise<number> {
  const io = processIo();
  const progress = !values.json && Deno.stderr.isTerminal() && !Deno.noColor
    ? new ProgressLine(io.stderr)
    : undefined;
  const result: BenchResult = await runBench({
    ...options,
    ...(progress ? { onProgress: (r) => progress.show(r) } : {}),
  });
  await progress?.clear();
  await writeAll(
    io.stdout,
    new TextEncoder().encode(
      values.json ? JSON.stringify(result) + "\n" : formatBenchResult(result),
    ),
  );
  if (result.requests === 0) {
    throw new SockitError(
      `No request succeeded in ${result.seconds} s (${result.errors} errors): ${
        result.first_error ?? "no reply"
      }`,
    );
  }
  checkBenchGuards(result, {
    ...(values.minRps === undefined ? {} : { minRps: values.minRps }),
    ...(values.maxP99 === undefined ? {} : { maxP99: values.maxP99 }),
  });
  return 0;
}

const COMMANDS: readonly Command[] = [tcpEcho, udpUpper, exec];

/** `sockit bench`: load a server and report. */
export const BENCH: Service = {
  name: "bench",
  summary: "Load a server and report requests/s, MB/s, latency and errors",
  commands: COMMANDS,
  notes: [
    "Each connection (or UDP socket) keeps one request in flight: send it, wait for the whole\n" +
    "reply, record the latency, send the next. At the end it prints requests, requests/s, MB/s\n" +
    "(reply bytes), p50/p99/max latency and errors; on a terminal a progress line updates each\n" +
    "second. An error (refused connect, closed connection, no reply within --timeout, a UDP\n" +
    "datagram lost, an exec command exiting non-zero) is counted and the client goes on; a\n" +
    "failed connect waits 100 ms. With --min-rps or --max-p99 it exits 1 when the run misses\n" +
    "them, so CI can guard a service's speed. Latencies are bucketed (1 us below 1 ms, 0.1 ms\n" +
    "below 1 s); memory stays fixed however long it runs.",
  ],
  examples: [
    "sockit bench tcp-echo --connections 50 --duration 10 --size 64",
    "sockit bench udp-upper --port 3000 --duration 5 --json",
    "sockit bench exec --connections 8 --duration 5 --min-rps 50 --max-p99 500",
  ],
};
