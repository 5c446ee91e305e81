/**
 * Every bound sockit keeps, its default and the flag that changes it, read
 * from the named constants the code itself uses: the Limits table of the
 * reference and the man page is generated from this list, so it cannot
 * drift from the code. Like `lib/services.ts`, this file sees every service.
 *
 * @module
 */

import { formatSeconds, formatSizeInProse } from "./io/units.ts";
import { MAX_LINE_BYTES } from "./io/lines.ts";
import { LOG_FLUSH_MS } from "./io/log.ts";
import { MAX_QUEUED_LOG_BYTES } from "./io/log_queue.ts";
import { PAUSE_ENDS_MESSAGE_MS } from "./io/timers.ts";
import { DEFAULT_TRACE_BYTES } from "./io/trace_entry.ts";
import {
  DEFAULT_GRACE_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNS,
} from "./server/accept_loop.ts";
import {
  NODE_BUFFER_BYTES,
  NODE_UNPAUSED_BUFFER_BYTES,
  RESET_WAIT_MS,
} from "./net/node_conn.ts";
import {
  FAILURE_SUMMARY_MS,
  FIRST_FAILURE_BACKOFF_MS,
  MAX_FAILURE_BACKOFF_MS,
} from "./net/socket_failures.ts";
import { TLS_HANDSHAKE_TIMEOUT_MS } from "./net/tls.ts";
import { MAX_TRACE_BYTES } from "./options/trace_options.ts";
import { MAX_DATAGRAM_BYTES } from "./net/udp_socket.ts";
import {
  ECHO_ALONE_BYTES,
  ECHO_BUFFER_BYTES,
  ECHO_START_BYTES,
  ECHO_STREAM_BYTES,
} from "./tcp_echo/server.ts";
import { TCP_ECHO_CLIENT_TIMEOUT_MS } from "./tcp_echo/command.ts";
import { REPLY_PER_MESSAGE } from "./tcp_echo/exchange.ts";
import {
  DEFAULT_RATE_PER_SECOND,
  MAX_RATE_SOURCES,
} from "./udp_upper/reflection_guard.ts";
import { MAX_SENDS_IN_FLIGHT } from "./udp_upper/server.ts";
import {
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_READY_TIMEOUT_MS,
  MAX_PLAN_ALIASES,
  MAX_PLAN_BYTES,
  MAX_REPLY_BYTES,
  MAX_RETRIES,
} from "./check/plan.ts";
import {
  MAX_SERVICE_LOG_BYTES,
  SERVICE_STOP_GRACE_MS,
} from "./check/service.ts";
import { MAX_QUEUED_PRINT } from "./exec/reply.ts";
import { MAX_QUEUED_OUTPUT } from "./exec/reply_sink.ts";
import { QUIET_READS } from "./io/read_buffer.ts";
import { DROP_LOG_MS, MAX_DROP_KEYS } from "./server/datagram_loop.ts";
import {
  MAX_UDP_RETRIES,
  UDP_UPPER_CLIENT_TIMEOUT_MS,
  UDP_UPPER_RETRIES,
} from "./udp_upper/command.ts";
import { JOIN_ANSWER_MS } from "./chat/client.ts";
import { MAX_NAME_CHARS, MAX_TEXT_BYTES } from "./chat/message.ts";
import { MAX_CHAT_CLIENTS } from "./chat/server.ts";
import {
  FIRST_FAILURE_DELAY_MS,
  MAX_FAILURE_ADDRESSES,
  MAX_FAILURE_DELAY_MS,
} from "./exec/auth.ts";
import { MAX_HEADER_BYTES, MIN_HEADER_BYTES } from "./exec/frame.ts";
import { MAX_LEGACY_BYTES } from "./exec/legacy.ts";
import { DEFAULT_EXEC_TIMEOUT_MS } from "./exec/policy.ts";
import { DEFAULT_DRAIN_MS, DEFAULT_KILL_GRACE_MS } from "./exec/runner.ts";
import {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_OUTPUT,
  DEFAULT_MAX_STDIN,
  DEFAULT_QUEUE,
} from "./exec/server.ts";
import { REPLY_GRACE_MS } from "./exec/session.ts";
import { DEFAULT_MAX_REPLY, MAX_CLIENT_STDIN } from "./exec/command.ts";
import { FIRST_POLL_MS, MAX_POLL_MS } from "./wait/wait.ts";
import { DEFAULT_WAIT_TIMEOUT_MS } from "./wait/command.ts";
import { DEFAULT_MAX_BYTES } from "./listen/sink.ts";
import {
  MAX_COALESCE_BYTES,
  MAX_RELAY_BUFFER_BYTES,
  RELAY_BUFFER_BYTES,
} from "./relay/pump.ts";
import { RELAY_CONNECT_TIMEOUT_MS } from "./relay/command.ts";
import { CUT_LINGER_MS } from "./relay/stream_relay.ts";
import {
  MAX_QUEUED_DATAGRAMS,
  REORDER_HOLD_MS,
} from "./relay/datagram_relay.ts";
import {
  BENCH_CONNECTIONS,
  BENCH_DURATION_MS,
  BENCH_SIZE,
  MAX_BENCH_CONNECTIONS,
  MAX_BENCH_DURATION_MS,
  MAX_BENCH_SIZE,
} from "./bench/command.ts";
import { BUCKETS, MAX_US } from "./bench/latency.ts";

/** One bound: what it bounds, its default, and the flag that changes it. */
export interface Limit {
  /** What is bounded. */
  what: string;
  /** The default, in words, from the constants. */
  value: string;
  /** The flag that changes it, or `fixed`. */
  flag: string;
}

const s = (ms: number) => ms < 1000 ? `${ms} ms` : formatSeconds(ms);
// Thousands with commas, without asking ICU for a locale at start-up (about 4 ms).
const n = (count: number) =>
  String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const b = formatSizeInProse;

/**
 * Every bound, in the order the reference lists them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LIMITS } from "./limits.ts";
 * assert.ok(LIMITS.some((l) => l.flag === "`--max-conns`"));
 * ```
 */
export const LIMITS: readonly Limit[] = [
  {
    what: "connections open at once, per server",
    value: n(DEFAULT_MAX_CONNS),
    flag: "`--max-conns`",
  },
  {
    what: "idle TCP connection (never while an exec command runs)",
    value: s(DEFAULT_IDLE_TIMEOUT_MS),
    flag: "`--idle-timeout`",
  },
  {
    what: "shutdown grace at SIGINT/SIGTERM (a second signal ends it)",
    value: s(DEFAULT_GRACE_MS),
    flag: "`--grace`",
  },
  {
    what: "line in `reverse` mode, prompt input",
    value: `${b(MAX_LINE_BYTES)} (\`reverse\` answers a partial line at a ${
      s(PAUSE_ENDS_MESSAGE_MS)
    } pause)`,
    flag: "fixed",
  },
  {
    what: "TCP client reply in message mode",
    value: `max(${b(MAX_LINE_BYTES)}, ${REPLY_PER_MESSAGE} x message)`,
    flag: "fixed",
  },
  {
    what: "TCP client connect and each reply",
    value: s(TCP_ECHO_CLIENT_TIMEOUT_MS),
    flag: "`--timeout`",
  },
  {
    what: "TLS handshake, server and client side",
    value: s(TLS_HANDSHAKE_TIMEOUT_MS),
    flag: "fixed",
  },
  {
    what: "TLS data a peer sends ahead of what sockit passed on",
    value: `${b(NODE_UNPAUSED_BUFFER_BYTES)}, then the connection fails`,
    flag: "fixed",
  },
  {
    what: "`accept()` failing for one connection (a reset while queued)",
    value: `no pause; one \`accept-dropped\` line per ${
      s(FAILURE_SUMMARY_MS)
    } at most`,
    flag: "fixed",
  },
  {
    what:
      "retry after `accept()` fails for want of a resource (EMFILE) or a UDP receive fails",
    value: `${s(FIRST_FAILURE_BACKOFF_MS)} doubling to ${
      s(MAX_FAILURE_BACKOFF_MS)
    }`,
    flag: "fixed",
  },
  {
    what: "UDP replies per source address",
    value: `${n(DEFAULT_RATE_PER_SECOND)}/s`,
    flag: "`--rate` (0 = no cap)",
  },
  {
    what: "UDP sources tracked by the rate cap",
    value: n(MAX_RATE_SOURCES),
    flag: "fixed",
  },
  {
    what: "UDP drop counts logged",
    value: `every ${s(DROP_LOG_MS)}, ${n(MAX_DROP_KEYS)} sources`,
    flag: "fixed",
  },
  {
    what: "UDP datagram",
    value: `${n(MAX_DATAGRAM_BYTES)} bytes`,
    flag: "fixed (IPv4's limit)",
  },
  {
    what: "UDP replies sent and not yet confirmed",
    value: `${MAX_SENDS_IN_FLIGHT}, then receiving waits`,
    flag: "fixed",
  },
  {
    what: "UDP client first wait, resends",
    value: `${s(UDP_UPPER_CLIENT_TIMEOUT_MS)} doubling, ${UDP_UPPER_RETRIES}`,
    flag: `\`--timeout\`, \`--retries\` (0-${MAX_UDP_RETRIES})`,
  },
  {
    what: "chat line, name, clients remembered",
    value: `${b(MAX_TEXT_BYTES)}, ${MAX_NAME_CHARS} characters, ${
      n(MAX_CHAT_CLIENTS)
    }`,
    flag: "fixed",
  },
  {
    what: "chat client's wait for the server's welcome",
    value: `${s(JOIN_ANSWER_MS)}, then a warning`,
    flag: "fixed",
  },
  {
    what: "exec command time",
    value: `${s(DEFAULT_EXEC_TIMEOUT_MS)}, then SIGKILL ${
      s(DEFAULT_KILL_GRACE_MS)
    } after SIGTERM`,
    flag: "`--timeout`",
  },
  {
    what: "exec output kept per command",
    value: b(DEFAULT_MAX_OUTPUT),
    flag: "`--max-output`",
  },
  {
    what: "exec stdin per request",
    value: b(DEFAULT_MAX_STDIN),
    flag: `\`--max-stdin\` (client \`--stdin\`: ${b(MAX_CLIENT_STDIN)})`,
  },
  {
    what: "exec commands at once, requests waiting",
    value: `${DEFAULT_MAX_CONCURRENT}, ${DEFAULT_QUEUE}`,
    flag: "`--max-concurrent`, `--queue`",
  },
  {
    what: "exec header",
    value: `${MIN_HEADER_BYTES} bytes to ${b(MAX_HEADER_BYTES)}`,
    flag: "fixed (the protocol)",
  },
  {
    what: "exec request arrival once begun",
    value: s(DEFAULT_HEADER_TIMEOUT_MS),
    flag: "`--header-timeout`",
  },
  {
    what: "exec legacy command",
    value: `${b(MAX_LEGACY_BYTES)}, ends at a ${
      s(PAUSE_ENDS_MESSAGE_MS)
    } pause`,
    flag: "fixed",
  },
  {
    what: "exec background leftovers after a command exits",
    value: `${s(DEFAULT_DRAIN_MS)}, then killed`,
    flag: "fixed",
  },
  {
    what: "exec reply a client does not read, after its command ended",
    value:
      "the slot is free at once; the connection closes at the idle timeout",
    flag: "`--idle-timeout`",
  },
  {
    what: "exec failed-token delay per address",
    value: `${s(FIRST_FAILURE_DELAY_MS)} doubling to ${
      s(MAX_FAILURE_DELAY_MS)
    }, ${n(MAX_FAILURE_ADDRESSES)} addresses`,
    flag: "fixed",
  },
  {
    what: "exec reply accepted by the client",
    value: b(DEFAULT_MAX_REPLY),
    flag: "client `--max-output`",
  },
  {
    what: "exec client wait for a reply",
    value: `its \`--timeout\` + ${s(REPLY_GRACE_MS)}`,
    flag: "`--timeout`",
  },
  {
    what: "`sockit wait`",
    value: `${s(DEFAULT_WAIT_TIMEOUT_MS)}; tries every ${
      s(FIRST_POLL_MS)
    } growing to ${s(MAX_POLL_MS)}`,
    flag: "`--timeout`",
  },
  {
    what: "`sockit listen` bytes kept per connection or sender",
    value: `${b(DEFAULT_MAX_BYTES)}, then the connection is closed`,
    flag: "`--max-bytes`",
  },
  {
    what: "`sockit listen --udp` sender forgotten when quiet",
    value: s(DEFAULT_IDLE_TIMEOUT_MS),
    flag: "`--idle-timeout` (0 = never)",
  },
  {
    what: "`--trace` bytes shown per chunk",
    value: `${DEFAULT_TRACE_BYTES} (the rest counted, not kept)`,
    flag: `\`--trace-bytes\` (0 to ${b(MAX_TRACE_BYTES)})`,
  },
  {
    what: "relay `--coalesce` hold",
    value: b(MAX_COALESCE_BYTES),
    flag: "fixed",
  },
  {
    what: "relay connect to its target",
    value: s(RELAY_CONNECT_TIMEOUT_MS),
    flag: "fixed",
  },
  {
    what: "relay ends' time to close after `--cut-after`",
    value: `${s(CUT_LINGER_MS)}, then both are closed`,
    flag: "fixed",
  },
  {
    what: "relay with `--reset-after` (`node:net`): data buffered",
    value: `${
      b(NODE_BUFFER_BYTES)
    }, then the socket is paused; after a half-close, ${
      b(NODE_UNPAUSED_BUFFER_BYTES)
    }`,
    flag: "fixed",
  },
  {
    what: "relay `--reset-after`: wait for the kernel to send the bytes",
    value: `${s(RESET_WAIT_MS)} (Linux; elsewhere none)`,
    flag: "fixed",
  },
  {
    what: "UDP relay clients, idle",
    value: `${n(DEFAULT_MAX_CONNS)}, ${s(DEFAULT_IDLE_TIMEOUT_MS)}`,
    flag: "`--max-conns`, `--idle-timeout`",
  },
  {
    what: "UDP relay datagrams waiting to be sent, per client and way",
    value: `${MAX_QUEUED_DATAGRAMS}, then dropped and counted`,
    flag: "fixed",
  },
  {
    what: "UDP relay `--reorder` hold",
    value: s(REORDER_HOLD_MS),
    flag: "fixed",
  },
  {
    what: "`sockit bench` clients, run time, request size",
    value: `${BENCH_CONNECTIONS["tcp-echo"]} (UDP ${
      BENCH_CONNECTIONS["udp-upper"]
    }, exec ${BENCH_CONNECTIONS.exec}), ${
      s(BENCH_DURATION_MS)
    }, ${BENCH_SIZE} bytes`,
    flag: `\`--connections\` (${n(MAX_BENCH_CONNECTIONS)}), \`--duration\` (${
      s(MAX_BENCH_DURATION_MS)
    }), \`--size\` (${b(MAX_BENCH_SIZE)}; UDP ${n(MAX_DATAGRAM_BYTES)})`,
  },
  {
    what: "`sockit bench` latency histogram",
    value: `${n(BUCKETS)} counters, up to ${s(MAX_US / 1000)}`,
    flag: "fixed",
  },
  {
    what:
      "read buffer per connection (echo, listen, clients' copies; the relay's per direction)",
    value: `${
      b(ECHO_START_BYTES)
    }, four times larger on each read that fills it, to ${
      b(ECHO_STREAM_BYTES)
    } (an echo stream alone: ${b(ECHO_ALONE_BYTES)}; relay: ${
      b(RELAY_BUFFER_BYTES)
    } to ${b(MAX_RELAY_BUFFER_BYTES)}); half after ${
      n(QUIET_READS)
    } quiet reads (echo \`upper\`/\`reverse\`: ${b(ECHO_BUFFER_BYTES)})`,
    flag: "fixed",
  },
  {
    what: "server log lines waiting for a slow stderr",
    value: `${b(MAX_QUEUED_LOG_BYTES)} (warnings: ${
      b(2 * MAX_QUEUED_LOG_BYTES)
    }), then dropped and counted`,
    flag: "fixed",
  },
  {
    what: "server log drain at exit",
    value: s(LOG_FLUSH_MS),
    flag: "fixed",
  },
  {
    what: "`sockit check` plan",
    value: `${b(MAX_PLAN_BYTES)}, ${n(MAX_PLAN_ALIASES)} aliases`,
    flag: "fixed",
  },
  {
    what: "`sockit check` reply read per check",
    value: `${b(DEFAULT_MAX_REPLY_BYTES)} by default, up to ${
      b(MAX_REPLY_BYTES)
    }`,
    flag: "`max_bytes:` in the plan",
  },
  {
    what: "`sockit check` time per check, per service",
    value: `${s(DEFAULT_CHECK_TIMEOUT_MS)} a try, ${
      n(MAX_RETRIES)
    } retries at most; ${s(DEFAULT_READY_TIMEOUT_MS)} to be ready`,
    flag: "`timeout:`, `retries:` in the plan",
  },
  {
    what: "`sockit check` service output kept",
    value: `${
      b(MAX_SERVICE_LOG_BYTES)
    } a service (the rest counted); stop: SIGTERM, ${
      s(SERVICE_STOP_GRACE_MS)
    }, SIGKILL`,
    flag: "fixed",
  },
  {
    what: "exec client output queued for stdout",
    value: `${b(MAX_QUEUED_PRINT)} a stream while the last write is out`,
    flag: "fixed",
  },
  {
    what: "exec streamed output queued for a client",
    value: b(MAX_QUEUED_OUTPUT),
    flag: "fixed",
  },
];
