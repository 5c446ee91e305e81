/**
 * `sockit relay server`: a proxy that forwards each connection (or each
 * client's datagrams) to a target, and misbehaves on purpose when asked:
 * the faults of {@linkcode StreamFaults} and {@linkcode DatagramFaults},
 * each off by default, on one direction or both.
 *
 * @module
 */

import { defineCommand, type Service } from "../cli/command.ts";
import { choice, flag, text } from "../cli/option.ts";
import { seededRandom } from "../io/random.ts";
import { formatEndpoint, parseAddress } from "../net/address.ts";
import { openStream } from "../net/connect.ts";
import { connectNode } from "../net/node_listen.ts";
import {
  acceptLoopFrom,
  connectionLimitOptions,
} from "../options/limit_options.ts";
import {
  runDatagramServer,
  runStreamServer,
  serverOptions,
} from "../options/serve_command.ts";
import { streamOrDatagramAddress } from "../options/address_options.ts";
import { serveConnections } from "../server/accept_loop.ts";
import { traceConn, type Tracer } from "../net/trace.ts";
import { openDatagramClient } from "../net/udp_socket.ts";
import {
  serverTlsFrom,
  TARGET_TLS_OPTIONS,
  targetTlsFrom,
  TLS_SERVER_OPTIONS,
} from "../options/tls_options.ts";
import { relayDatagrams } from "./datagram_relay.ts";
import { appliesTo } from "./faults.ts";
import {
  DATAGRAM_FAULT_OPTIONS,
  FAULT_OPTIONS,
  faultsOf,
  faultSummary,
  STREAM_FAULT_OPTIONS,
} from "./fault_options.ts";
import { relayStreams } from "./stream_relay.ts";

/** How long the relay waits for the target to accept a connection: 10 s. */
export const RELAY_CONNECT_TIMEOUT_MS = 10_000;

const server = defineCommand({
  role: "server",
  summary: "forward each connection to --to, with faults on demand",
  address: streamOrDatagramAddress(),
  usage: "[ADDRESS] --to TARGET [--udp] [faults] [options]",
  options: {
    ...serverOptions(0),
    ...TLS_SERVER_OPTIONS,
    ...connectionLimitOptions(
      "Close a relayed connection (forget a UDP client) with no traffic",
    ),
    to: text({
      help:
        "Forward to HOST:PORT, [IPv6]:PORT or unix:PATH (HOST:PORT with --udp)",
      value: "TARGET",
      required:
        "Option --to is required: say where to forward, e.g. --to 127.0.0.1:8080",
    }),
    ...TARGET_TLS_OPTIONS,
    udp: flag({
      help: "Relay UDP datagrams, each client through its own socket",
      conflicts: {
        unix: "Option --udp relays UDP: drop --unix",
        tlsCert: "Option --udp relays UDP: drop --tls-cert and --tls-key",
        toTls: "Option --udp relays UDP: drop --to-tls",
      },
    }),
    faults: choice({
      help:
        "Which way the faults apply: upstream (client to target), downstream, or both",
      value: "WAY",
      choices: ["both", "upstream", "downstream"] as const,
      default: "both",
    }),
    ...FAULT_OPTIONS,
  },
  async run(values) {
    const udp = values.udp;
    const target = parseAddress(values.to, {
      bare: udp ? "udp" : "tcp",
      schemes: udp ? ["udp"] : ["tcp", "unix"],
      minPort: 1,
    });
    const seed = values.seed ??
      crypto.getRandomValues(new Uint32Array(1))[0]!;
    const random = seededRandom(seed);
    const way = (direction: "upstream" | "downstream") =>
      appliesTo(values.faults, direction);
    const announce = {
      to: formatEndpoint(target),
      applied: faultSummary(values),
      faults_on: values.faults,
      seed,
    };
    if (udp) {
      const faults = faultsOf(DATAGRAM_FAULT_OPTIONS, values);
      return await runDatagramServer({
        service: "relay",
        values,
        serve: (socket, context) => {
          context.logger.notice("target", announce);
          return relayDatagrams(socket, {
            ...context,
            open: () => openDatagramClient(target, context.tracer),
            ...(way("upstream") ? { upstream: faults } : {}),
            ...(way("downstream") ? { downstream: faults } : {}),
            random,
            maxClients: values.maxConns,
            idleMs: values.idleTimeout || Number.MAX_SAFE_INTEGER,
          });
        },
      });
    }
    const faults = faultsOf(STREAM_FAULT_OPTIONS, values);
    const tls = await serverTlsFrom(values);
    const toTls = await targetTlsFrom(values, target);
    const resets = faults?.resetAfter !== undefined; // Never with TLS: declared on the option.
    const open = (tracer: Tracer | undefined) => async () => {
      if (!resets) {
        return await openStream(target, {
          timeoutMs: RELAY_CONNECT_TIMEOUT_MS,
          tls: toTls,
          tracer,
        });
      }
      const conn = await connectNode(target, RELAY_CONNECT_TIMEOUT_MS);
      return tracer ? traceConn(conn, tracer, formatEndpoint(target)) : conn;
    };
    return await runStreamServer({
      service: "relay",
      values,
      tls,
      resets,
      serve: (listener, context) => {
        context.logger.notice("target", announce);
        return serveConnections(
          listener,
          relayStreams({
            connect: open(context.tracer),
            ...(way("upstream") ? { upstream: faults } : {}),
            ...(way("downstream") ? { downstream: faults } : {}),
            random,
            logger: context.logger,
            refuse: values.refuse,
          }),
          { ...context, ...acceptLoopFrom(values) },
        );
      },
    });
  },
});

/** `sockit relay`: a relay that can misbehave on purpose. */
export const RELAY: Service = {
  name: "relay",
  summary:
    "Forward connections or datagrams to a target, with faults on demand",
  commands: [server],
  notes: [
    "Each connection to the relay gets its own connection to --to; bytes go both ways as they\n" +
    "come, a half-close is carried through, and nothing is read from one side before what was\n" +
    "read is written to the other (64 KiB a direction, up to 1 MiB while reads fill it). Faults\n" +
    "are off unless given and apply to --faults upstream, downstream or both. --chunk 1 sends\n" +
    "one byte a write; --coalesce 50 joins what arrives within 50 ms into one write: together\n" +
    "they show that TCP keeps no message boundaries. --cut-after closes both ends cleanly,\n" +
    "--reset-after resets the end the bytes go to (plain TCP and unix only), --stall-after\n" +
    "forwards nothing more that way (what arrives is read and dropped). --refuse N closes the\n" +
    "first N connections at once. Random faults draw from --seed (logged at start).",
    "With --udp each client address gets its own socket to the target, so replies find their\n" +
    "way back; --loss, --duplicate, --reorder (held up to 100 ms for the next datagram to\n" +
    "pass) and --delay apply per datagram. A client with no datagram either way for\n" +
    "--idle-timeout is forgotten; --max-conns bounds the table.",
  ],
  examples: [
    "sockit relay server :0 --to 127.0.0.1:20000 --chunk 1 --delay 1",
    "sockit relay server --port 0 --to 127.0.0.1:20000 --coalesce 50 --faults upstream",
    "sockit relay server :0 --to 127.0.0.1:20000 --rate 64KiB/s --cut-after 1MiB",
    "sockit relay server --udp :0 --to 127.0.0.1:3000 --loss 30% --seed 7",
  ],
};
