/**
 * The UDP uppercase client: retransmits with doubling waits, accepts replies
 * only from the address it sent to, and does not take a late duplicate for
 * the next answer.
 *
 * @module
 */

import type { Tracer } from "../net/trace.ts";
import { type ClientIo, runPrompt, warn } from "../cli/client_io.ts";
import { SockitError } from "../io/errors.ts";
import { checkExpected, printReply } from "../cli/messages.ts";
import { LineReader } from "../io/lines.ts";
import { previewPayload } from "../io/log.ts";
import { Deadline } from "../io/timers.ts";
import { formatSeconds } from "../io/units.ts";
import { type Endpoint, formatAddr } from "../net/address.ts";
import { type Datagram, DatagramInbox } from "../net/datagram_inbox.ts";
import { describeOsError } from "../net/os_error.ts";
import {
  type DatagramClient,
  MAX_DATAGRAM_BYTES,
  openDatagramClient,
} from "../net/udp_socket.ts";

/** Options of {@linkcode runUdpUpperClient}. */
export interface UdpUpperClientOptions {
  /** The server: UDP (a host name, an IPv4 or an IPv6 literal) or a unix datagram socket. */
  endpoint: Endpoint;
  /** Trace each datagram (`--trace`). */
  tracer?: Tracer | undefined;
  /** Messages to send; empty means prompt (terminal) or one per stdin line. */
  messages: readonly string[];
  /** Expected replies, paired with `messages`. */
  expects: readonly string[];
  /** First wait for a reply, in ms; doubled on each resend. */
  timeoutMs: number;
  /** Resends after the first try. */
  retries: number;
  /** Log ignored datagrams and resends on stderr. @default {false} */
  verbose?: boolean;
}

/**
 * Runs the UDP uppercase client; resolves to its exit code, throws a
 * {@linkcode SockitError} on failure.
 *
 * @example
 * ```ts ignore
 * import { runUdpUpperClient } from "./client.ts";
 * import { processIo } from "../cli/client_io.ts";
 * await runUdpUpperClient({ endpoint: { transport: "udp", hostname: "127.0.0.1", port: 3000 }, messages: ["hi"], expects: ["HI"],
 *   timeoutMs: 500, retries: 4 }, processIo());
 * ```
 */
export async function runUdpUpperClient(
  options: UdpUpperClientOptions,
  io: ClientIo,
): Promise<number> {
  await using client = await openDatagramClient(
    options.endpoint,
    options.tracer,
  );
  const { socket } = client;
  const inbox = new DatagramInbox(socket);
  const exchange = new UdpExchange(client, inbox, options, io);
  try {
    const answer = async (message: string, index: number) => {
      const reply = await exchange.send(new TextEncoder().encode(message));
      await printReply(io.stdout, reply);
      checkExpected(options.expects[index], reply, index);
    };
    if (options.messages.length > 0) {
      for (const [i, message] of options.messages.entries()) {
        await answer(message, i);
      }
    } else if (io.stdinIsTerminal) {
      await runPrompt(io, ">>> ", (line) => answer(line, -1));
    } else {
      const lines = new LineReader(io.stdin, MAX_DATAGRAM_BYTES);
      for (let line; (line = await lines.readLine()) !== null;) {
        await answer(line, -1);
      }
    }
  } finally {
    socket.close();
    await inbox.closed();
  }
  return 0;
}

const decoder = new TextDecoder();

/** How many earlier messages a client remembers to recognise late replies. */
const REMEMBERED_MESSAGES = 64;

function caseKey(bytes: Uint8Array): string {
  return decoder.decode(bytes).toUpperCase();
}

/**
 * One request and its reply at a time, with retransmission: wait
 * `timeoutMs`, resend with the wait doubled, `retries` times. A datagram
 * from another address is ignored; so is one that matches an earlier
 * message but not this one (a late duplicate).
 */
class UdpExchange {
  readonly #earlier: string[] = [];

  constructor(
    readonly client: DatagramClient,
    readonly inbox: DatagramInbox,
    readonly options: UdpUpperClientOptions,
    readonly io: ClientIo,
  ) {}

  async send(request: Uint8Array): Promise<Uint8Array> {
    const where = this.client.where;
    if (request.length > MAX_DATAGRAM_BYTES) {
      throw new SockitError(
        `Message of ${request.length} bytes is over the ${MAX_DATAGRAM_BYTES}-byte UDP limit`,
      );
    }
    // A unix datagram is not lost, and its socket cannot send while the
    // last wait's receive is still pending: one try, waiting all the time
    // the resends would have taken.
    const overUdp = "hostname" in this.client.server;
    const tries = overUdp ? this.options.retries + 1 : 1;
    let waitMs = overUdp
      ? this.options.timeoutMs
      : this.options.timeoutMs * (2 ** (this.options.retries + 1) - 1);
    for (let attempt = 1; attempt <= tries; attempt++, waitMs *= 2) {
      try {
        await this.client.socket.send(request, this.client.server);
      } catch (err) {
        throw new SockitError(
          `Cannot send to ${where}: ${describeOsError(err)}`,
        );
      }
      const reply = await this.#awaitReply(request, waitMs);
      if (reply) {
        this.#remember(request);
        return reply;
      }
      if (attempt < tries) {
        await this.#verbose(
          `no reply within ${formatSeconds(waitMs)}; resending (try ${
            attempt + 1
          } of ${tries})`,
        );
      }
    }
    throw new SockitError(
      `No reply from ${where} after ${tries} ${
        tries === 1 ? "try" : "tries"
      }; is the server up? (raise --timeout or --retries)`,
    );
  }

  async #awaitReply(
    request: Uint8Array,
    waitMs: number,
  ): Promise<Uint8Array | null> {
    using deadline = new Deadline(waitMs);
    const fromElsewhere = ({ data, from }: Datagram) =>
      this.#verbose(
        `ignored ${data.length} bytes from unexpected host ${formatAddr(from)}`,
      );
    while (true) {
      const datagram = await this.inbox.nextFrom(
        this.client.server,
        deadline,
        fromElsewhere,
      );
      if (!datagram) return null;
      const key = caseKey(datagram.data);
      if (key === caseKey(request) || !this.#earlier.includes(key)) {
        return datagram.data;
      }
      await this.#verbose(
        `ignored a late reply to an earlier message: '${
          previewPayload(datagram.data)
        }'`,
      );
    }
  }

  #remember(request: Uint8Array): void {
    this.#earlier.push(caseKey(request));
    if (this.#earlier.length > REMEMBERED_MESSAGES) this.#earlier.shift();
  }

  async #verbose(line: string): Promise<void> {
    if (this.options.verbose) await warn(this.io, line);
  }
}
