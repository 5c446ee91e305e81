/**
 * `sockit wait`: the command-line face of waiting for servers in CI, with
 * wait-for-it's convention of running a command once all are up.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { SockitError, UsageError } from "../io/errors.ts";
import { duration, flag, text } from "../cli/option.ts";
import { writeAll } from "../io/streams.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatEndpoint } from "../net/address.ts";
import { signalNumber } from "../server/signals.ts";
import { parseWaitTarget, readyLine, waitForAll } from "./wait.ts";

/** How long `sockit wait` waits by default: 30 s. */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

const encoder = new TextEncoder();

const wait = defineCommand({
  summary: "wait until every address accepts a connection (or answers)",
  options: {
    timeout: duration({
      help: "Give up after this long; exit 1 listing what never came up",
      value: "SECONDS",
      short: "t",
      min: 1,
      max: 86_400_000,
      default: DEFAULT_WAIT_TIMEOUT_MS,
    }),
    json: flag({
      help: "Print one JSON object per target instead of the ready lines",
    }),
    send: text({
      help: "What a udp:// target is sent each try",
      value: "TEXT",
      default: "ping",
    }),
    expect: text({
      help: "The reply a udp:// target must give (default: any reply)",
      value: "TEXT",
    }),
  },
  positionals: true,
  usage: "ADDRESS... [--timeout SECONDS] [-- COMMAND [ARGS...]]",
  async run(values, positionals, afterDashes) {
    const addresses = positionals.slice(
      0,
      positionals.length - afterDashes.length,
    );
    if (addresses.length === 0) {
      throw new UsageError(
        "Name at least one address: tcp://HOST:PORT, udp://HOST:PORT or unix:PATH",
      );
    }
    const targets = addresses.map(parseWaitTarget);
    const live = !values.json && Deno.stderr.isTerminal() && !Deno.noColor;
    const show = (waiting: readonly Endpoint[]) => {
      if (!live) return;
      const names = waiting.map(formatEndpoint).join(", ");
      Deno.stderr.writeSync(
        encoder.encode(`\r\x1b[K${names ? `waiting for ${names}` : ""}`),
      );
    };
    show(targets);
    const results = await waitForAll(targets, {
      timeoutMs: values.timeout,
      send: values.send,
      ...(values.expect === undefined ? {} : { expect: values.expect }),
      onReady: async (result) => {
        show([]);
        const line = values.json
          ? JSON.stringify({
            address: formatEndpoint(result.target),
            ready: true,
            seconds: Number((result.ms / 1000).toFixed(3)),
          })
          : readyLine(result);
        await writeAll(PROCESS_STDOUT, encoder.encode(line + "\n"));
      },
      onWaiting: show,
    });
    show([]);
    const down = results.filter((r) => r.error !== null);
    if (values.json) {
      for (const r of down) {
        const line = JSON.stringify({
          address: formatEndpoint(r.target),
          ready: false,
          error: r.error,
        });
        await writeAll(PROCESS_STDOUT, encoder.encode(line + "\n"));
      }
    }
    if (down.length > 0) {
      const list = down.map((r) => `${formatEndpoint(r.target)} (${r.error})`)
        .join(", ");
      throw new SockitError(
        `Not up within ${formatSeconds(values.timeout)}: ${list}`,
      );
    }
    return afterDashes.length > 0 ? await runCommand(afterDashes) : 0;
  },
});

/** Runs `argv` with this process's stdio and resolves to its exit status (127 if not found). */
async function runCommand(argv: string[]): Promise<number> {
  const [program, ...args] = argv;
  try {
    const status = await new Deno.Command(program!, {
      args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.signal
      ? 128 + (signalNumber(status.signal) ?? 0)
      : status.code;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SockitError(`Cannot run "${program}": command not found`, {
        exitCode: 127,
      });
    }
    throw err;
  }
}

/** `sockit wait`: wait until servers accept connections. */
export const WAIT: Service = {
  name: "wait",
  summary: "Wait until servers accept connections (for CI scripts)",
  commands: [wait],
  notes: [
    "Each ADDRESS is tcp://HOST:PORT (or HOST:PORT), unix:PATH, or udp://HOST:PORT (up once it\n" +
    "answers --send with a reply, or with --expect). sockit tries each every 50 ms, the pause\n" +
    "growing by half up to 1 s, and prints 'ready: ADDRESS (SECONDS)' as each comes up (with\n" +
    "--json, one object per target); on a terminal a line on stderr shows what is still\n" +
    "awaited. Once all are up it exits 0, or runs COMMAND after -- and exits with its status,\n" +
    "as wait-for-it does. After --timeout it exits 1 with one line listing what never came up\n" +
    "and why.",
  ],
  examples: [
    "sockit wait tcp://127.0.0.1:8083 --timeout 10",
    "sockit wait 127.0.0.1:20000 unix:/tmp/echo.sock",
    "sockit wait udp://127.0.0.1:3000 --send hi --expect HI -t 5",
    "sockit wait 127.0.0.1:8083 -- sockit exec client --port 8083 -- uname -a",
  ],
};
