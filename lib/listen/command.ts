/**
 * `sockit listen`: see what a client sends, as `nc -l` shows it.
 *
 * @module
 */

import { PROCESS_STDOUT } from "../cli/client_io.ts";
import { defineCommand, type Service } from "../cli/command.ts";
import { UsageError } from "../io/errors.ts";
import { count, duration, flag, size, text } from "../cli/option.ts";
import { MiB } from "../io/units.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS,
} from "../server/accept_loop.ts";
import {
  endpointFrom,
  listenOptions,
  streamOrDatagramAddress,
} from "../options/address_options.ts";
import { GRACE_OPTIONS } from "../options/limit_options.ts";
import { logOptions } from "../options/log_options.ts";
import { PEER_OPTIONS } from "../options/peer_options.ts";
import {
  runDatagramServer,
  runStreamServer,
} from "../options/serve_command.ts";
import {
  DEFAULT_MAX_BYTES,
  directoryTarget,
  listenDatagrams,
  listenStream,
  type SinkTarget,
  stdoutTarget,
} from "./sink.ts";

const listen = defineCommand({
  summary: "print what each client sends, or keep it in files",
  address: streamOrDatagramAddress(),
  usage: "[ADDRESS] [--udp] [--once] [--output DIR] [--reply TEXT] [options]",
  options: {
    ...listenOptions(0),
    ...logOptions(),
    ...GRACE_OPTIONS,
    ...PEER_OPTIONS,
    udp: flag({
      help: "Take datagrams (UDP, or a unix datagram socket with --unix)",
    }),
    once: flag({
      help:
        "Take the first connection only (others are closed unread) and exit 0 when it closes (the first datagram with --udp)",
    }),
    output: text({
      help:
        "Write each connection (or sender) to its own file in DIR (made if missing), not stdout",
      value: "DIR",
    }),
    reply: text({
      help:
        "Answer each connection (after its first bytes) or datagram with TEXT",
      value: "TEXT",
    }),
    maxBytes: size({
      help:
        "Bytes kept per connection (per sender); past it the connection is closed",
      value: "SIZE",
      min: 1,
      max: 4096 * MiB,
      default: DEFAULT_MAX_BYTES,
    }),
    maxConns: count({
      help: "Connections (senders) at once",
      value: "N",
      min: 1,
      max: 100000,
      default: DEFAULT_MAX_CONNS,
    }),
    idleTimeout: duration({
      help:
        "With --udp, forget a sender quiet this long (its file closes; it counts against --max-conns no more); 0 = never",
      value: "SECONDS",
      min: 0,
      max: 86_400_000,
      default: DEFAULT_IDLE_TIMEOUT_MS,
    }),
  },
  async run(values) {
    const target = await targetFrom(values.output);
    const reply = values.reply === undefined
      ? undefined
      : new TextEncoder().encode(values.reply);
    const sink = {
      target,
      ...(reply ? { reply } : {}),
      once: values.once,
      maxBytes: values.maxBytes,
      maxConns: values.maxConns,
      graceMs: values.grace,
    };
    if (values.udp) {
      return await runDatagramServer({
        service: "listen",
        values,
        serve: (socket, context) =>
          listenDatagrams(socket, {
            ...context,
            ...sink,
            idleTimeoutMs: values.idleTimeout,
          }),
      });
    }
    return await runStreamServer({
      service: "listen",
      values,
      endpoint: endpointFrom(values, "tcp"),
      serve: (listener, context) =>
        listenStream(listener, { ...context, ...sink }),
    });
  },
});

async function targetFrom(output: string | undefined): Promise<SinkTarget> {
  if (output === undefined) return stdoutTarget(PROCESS_STDOUT);
  try {
    await Deno.mkdir(output, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `Invalid --output "${output}": ${
        err instanceof Deno.errors.AlreadyExists
          ? "it exists and is not a directory"
          : (err as Error).message
      }; give a directory`,
    );
  }
  return directoryTarget(output);
}

/** `sockit listen`: a listening sink. */
export const LISTEN: Service = {
  name: "listen",
  summary: "Print what clients send (nc -l), or keep it in files",
  commands: [listen],
  notes: [
    "After the ready line, every byte a client sends goes to stdout as it arrives (with\n" +
    "--output DIR, each connection or sender to its own file there). Reading keeps pace with\n" +
    "stdout, so a slow reader slows the clients, never fills memory; past --max-bytes a\n" +
    "connection is closed. --once exits 0 after the first connection closes, as netcat's\n" +
    "listen does, for scripts. Connection events go to stderr, as for every server.",
  ],
  examples: [
    "sockit listen :0 --once",
    "sockit listen --port 0 --reply pong --quiet",
    "sockit listen --udp :0 --once",
  ],
};
