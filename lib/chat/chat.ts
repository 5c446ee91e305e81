/**
 * The UDP chat (the seed programs' fifth step). Clients send each line
 * their user types, tagged with a name; the server shows every message with
 * the sender's name and address, and sends each line its operator types to
 * the client that wrote last (`/to NAME` picks one). `quit` or end of input
 * ends either side; the server's end tells its clients, which end too.
 *
 * @module
 */

import { formatEndpoint, formatHostPort } from "../net/address.ts";
import { decodeChat, encodeChat, MAX_TEXT_BYTES } from "./message.ts";
import type { ClientIo } from "../cli/client_io.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import { describeOsError, SockitError } from "../cli/errors.ts";
import type { Logger } from "../io/log.ts";
import { openUdpClient } from "../net/udp_socket.ts";
import { type ByteWriter, LineReader, writeAll } from "../io/streams.ts";
import { errorText } from "../net/accept_loop.ts";

/** Clients the server remembers by name; the least recent is forgotten past this. */
export const MAX_CHAT_CLIENTS = 256;

const encoder = new TextEncoder();

/** Options of {@linkcode runChatServer}. */
export interface ChatServerOptions {
  /** Aborting (SIGINT/SIGTERM) ends the chat as `quit` does. */
  signal: AbortSignal;
  /** Where dropped datagrams and errors go. */
  logger: Logger;
  /** The operator's input and the chat's output. */
  io: ClientIo;
}

/**
 * Runs the chat server on a bound socket until `quit`, end of input or the
 * signal; resolves to exit code 0.
 *
 * @example
 * ```ts ignore
 * import { runChatServer } from "./chat.ts";
 * const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 3001, transport: "udp" });
 * await runChatServer(socket, { signal, logger, io: processIo() });
 * ```
 */
export async function runChatServer(
  socket: Deno.DatagramConn,
  options: ChatServerOptions,
): Promise<number> {
  const { io, logger } = options;
  const clients = new Map<string, Deno.NetAddr>();
  let lastWriter: string | undefined;
  let pinned: string | undefined;
  const say = (line: string) =>
    writeAll(io.stdout, encoder.encode(line + "\n"));

  const receiving = (async () => {
    const inbox = new DatagramInbox(socket);
    while (true) {
      const datagram = await inbox.next(Infinity).catch(() => null);
      if (!datagram) return;
      const message = decodeChat(datagram.data);
      const peer = formatHostPort(datagram.from.hostname, datagram.from.port);
      if (!message || message.type === "bye") {
        logger.warn("ignored", {
          peer,
          bytes: datagram.data.length,
          reason: "not a chat message",
        });
        continue;
      }
      clients.delete(message.name);
      clients.set(message.name, datagram.from);
      if (clients.size > MAX_CHAT_CLIENTS) {
        clients.delete(clients.keys().next().value!);
      }
      if (message.type === "leave") {
        clients.delete(message.name);
        if (lastWriter === message.name) lastWriter = undefined;
        await say(`${message.name}@${peer} left`);
      } else {
        lastWriter = message.name;
        await say(`${message.name}@${peer}: ${message.text}`);
      }
    }
  })();

  const operator = async () => {
    const lines = new LineReader(io.stdin, MAX_TEXT_BYTES);
    for (let line; (line = await lines.readLine()) !== null;) {
      const text = line.trim();
      if (text === "quit") return;
      if (text === "") continue;
      if (text === "/to" || text.startsWith("/to ")) {
        pinned = text.slice(3).trim() || undefined;
        await writeAll(
          io.stderr,
          encoder.encode(
            `sockit: sending to ${pinned ?? "whoever wrote last"}\n`,
          ),
        );
        continue;
      }
      const name = pinned ?? lastWriter;
      const to = name === undefined ? undefined : clients.get(name);
      if (!to) {
        await writeAll(
          io.stderr,
          encoder.encode(
            `sockit: ${
              name ? `no client named "${name}"` : "no client has written yet"
            }; line not sent\n`,
          ),
        );
        continue;
      }
      await sendQuietly(
        socket,
        encodeChat({ type: "msg", name: "server", text: line }),
        to,
        logger,
      );
    }
  };

  const stopped = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([operator(), stopped]);
  for (const to of clients.values()) {
    await sendQuietly(socket, encodeChat({ type: "bye" }), to, logger);
  }
  socket.close();
  await receiving;
  logger.notice("stopped");
  return 0;
}

async function sendQuietly(
  socket: Deno.DatagramConn,
  data: Uint8Array,
  to: Deno.NetAddr,
  logger: Logger,
) {
  try {
    await socket.send(data, to);
  } catch (err) {
    logger.warn("send-failed", {
      peer: formatHostPort(to.hostname, to.port),
      error: errorText(err),
    });
  }
}

/** Options of {@linkcode runChatClient}. */
export interface ChatClientOptions {
  /** Server host. */
  hostname: string;
  /** Server port. */
  port: number;
  /** The name this client's lines carry. */
  name: string;
}

/**
 * Runs a chat client until `quit`, end of input, or the server's end;
 * resolves to exit code 0.
 *
 * @example
 * ```ts ignore
 * import { runChatClient } from "./chat.ts";
 * await runChatClient({ hostname: "127.0.0.1", port: 3001, name: "alice" }, processIo());
 * ```
 */
export async function runChatClient(
  options: ChatClientOptions,
  io: ClientIo,
): Promise<number> {
  const { socket, server: server } = await openUdpClient(
    options.hostname,
    options.port,
  );
  const send = async (data: Uint8Array) => {
    try {
      await socket.send(data, server);
    } catch (err) {
      throw new SockitError(
        `Cannot send to ${formatEndpoint(server)}: ${describeOsError(err)}`,
      );
    }
  };
  const receiving = receiveFromServer(socket, server, io.stdout);
  const typing = (async () => {
    const lines = new LineReader(io.stdin, MAX_TEXT_BYTES);
    for (let line; (line = await lines.readLine()) !== null;) {
      if (line.trim() === "quit") break;
      if (line.trim() === "") continue;
      await send(encodeChat({ type: "msg", name: options.name, text: line }));
    }
    await send(encodeChat({ type: "leave", name: options.name }));
  })();
  try {
    await Promise.race([typing, receiving]);
  } finally {
    socket.close();
    await receiving;
  }
  return 0;
}

async function receiveFromServer(
  socket: Deno.DatagramConn,
  server: { hostname: string; port: number },
  stdout: ByteWriter,
): Promise<void> {
  const inbox = new DatagramInbox(socket);
  while (true) {
    const datagram = await inbox.next(Infinity).catch(() => null);
    if (!datagram) return;
    if (
      datagram.from.hostname !== server.hostname ||
      datagram.from.port !== server.port
    ) continue;
    const message = decodeChat(datagram.data);
    if (message?.type === "bye") {
      await writeAll(stdout, encoder.encode("server ended the chat\n"));
      return;
    }
    if (message?.type === "msg") {
      await writeAll(
        stdout,
        encoder.encode(`${message.name}: ${message.text}\n`),
      );
    }
  }
}
