/**
 * The UDP chat server (the seed programs' fifth step): shows every client's
 * message with the sender's name and address, and sends each line its
 * operator types to the client that wrote last (`/to NAME` picks one).
 * `quit`, end of input or a signal ends the chat and tells the clients.
 *
 * @module
 */

import { type ClientIo, runPrompt, warn } from "../cli/client_io.ts";
import { errorMessage } from "../io/errors.ts";
import type { Logger } from "../io/log.ts";
import { writeAll } from "../io/streams.ts";
import { settlesWithin, whenAborted } from "../io/timers.ts";
import { DEFAULT_GRACE_MS } from "../server/accept_loop.ts";
import { formatAddr } from "../net/address.ts";
import type { PeerRule } from "../net/cidr.ts";
import { serveDatagrams } from "../server/datagram_loop.ts";
import { decodeChat, encodeChat, MAX_TEXT_BYTES, rawText } from "./message.ts";

/** The port the chat server listens on and its clients send to by default. */
export const CHAT_PORT = 3001;

const encoder = new TextEncoder();

/** Clients the server remembers by name; the least recent is forgotten past this. */
export const MAX_CHAT_CLIENTS = 256;

/** Options of {@linkcode runChatServer}. */
export interface ChatServerOptions {
  /** Aborting (SIGINT/SIGTERM) ends the chat as `quit` does. */
  signal: AbortSignal;
  /** Where dropped datagrams and errors go. */
  logger: Logger;
  /** The operator's input and the chat's output. */
  io: ClientIo;
  /** At the end, how long the goodbyes to the clients may take, in ms. @default {DEFAULT_GRACE_MS} */
  graceMs?: number;
  /** Aborting ends that at once (a second SIGINT or SIGTERM). */
  force?: AbortSignal;
  /** Who may send (`--allow-from`, `--deny-from`); anyone when absent. */
  peers?: PeerRule;
}

/**
 * Runs the chat server on a bound socket until `quit`, end of input or the
 * signal; resolves to exit code 0.
 *
 * @example
 * ```ts ignore
 * import { runChatServer } from "./server.ts";
 * const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 3001, transport: "udp" });
 * await runChatServer(socket, { signal, logger, io: processIo() });
 * ```
 */
export async function runChatServer(
  socket: Deno.DatagramConn,
  options: ChatServerOptions,
): Promise<number> {
  const { io, logger } = options;
  /** By name; a raw-text client is named by its address and answered in raw text. */
  const clients = new Map<string, { to: Deno.Addr; raw: boolean }>();
  let lastWriter: string | undefined;
  let pinned: string | undefined;
  const say = (line: string) =>
    writeAll(io.stdout, encoder.encode(line + "\n"));

  const hear = async (data: Uint8Array, from: Deno.Addr): Promise<void> => {
    const peer = formatAddr(from);
    const message = decodeChat(data);
    if (message?.type === "bye" || message?.type === "welcome") {
      logger.warn("ignored", {
        peer,
        bytes: data.length,
        reason: `a ${message.type} comes from the server only`,
      });
      return;
    }
    const name = message?.name ?? peer;
    clients.delete(name);
    clients.set(name, { to: from, raw: message === null });
    if (clients.size > MAX_CHAT_CLIENTS) {
      clients.delete(clients.keys().next().value!);
    }
    if (message === null) {
      lastWriter = name;
      await say(`${peer}: ${rawText(data)}`);
    } else if (message.type === "join") {
      await say(`${message.name}@${peer} joined`);
      await sendQuietly(socket, encodeChat({ type: "welcome" }), from, logger);
    } else if (message.type === "leave") {
      clients.delete(message.name);
      if (lastWriter === message.name) lastWriter = undefined;
      await say(`${message.name}@${peer} left`);
    } else {
      lastWriter = message.name;
      await say(`${message.name}@${peer}: ${message.text}`);
    }
  };
  // The chat ends when its operator's input does: the socket closes then.
  const receiving = serveDatagrams(socket, {
    signal: options.signal,
    logger,
    peers: options.peers,
    keepOpen: true,
  }, hear);

  const operator = () =>
    runPrompt(io, "", async (line) => {
      const text = line.trim();
      if (text === "/to" || text.startsWith("/to ")) {
        pinned = text.slice(3).trim() || undefined;
        await warn(
          io,
          pinned !== undefined && !clients.has(pinned)
            ? `no client named "${pinned}" has written yet; lines go to it once it does`
            : `sending to ${pinned ?? "whoever wrote last"}`,
        );
        return;
      }
      const name = pinned ?? lastWriter;
      const client = name === undefined ? undefined : clients.get(name);
      if (!client) {
        await warn(
          io,
          `${
            name ? `no client named "${name}"` : "no client has written yet"
          }; line not sent`,
        );
        return;
      }
      await sendQuietly(
        socket,
        client.raw
          ? encoder.encode(line)
          : encodeChat({ type: "msg", name: "server", text: line }),
        client.to,
        logger,
      );
    }, MAX_TEXT_BYTES);

  using stopped = whenAborted(options.signal);
  await Promise.race([operator(), stopped.promise]);
  const goodbyes = (async () => {
    for (const { to, raw } of clients.values()) {
      if (options.force?.aborted) return;
      if (!raw) {
        await sendQuietly(socket, encodeChat({ type: "bye" }), to, logger);
      }
    }
  })();
  await settlesWithin(goodbyes, options.graceMs ?? DEFAULT_GRACE_MS);
  socket.close();
  await receiving;
  logger.notice("stopped");
  return 0;
}

async function sendQuietly(
  socket: Deno.DatagramConn,
  data: Uint8Array,
  to: Deno.Addr,
  logger: Logger,
) {
  try {
    await socket.send(data, to);
  } catch (err) {
    logger.warn("send-failed", {
      peer: formatAddr(to),
      error: errorMessage(err),
    });
  }
}
