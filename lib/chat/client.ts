/**
 * The UDP chat client: sends each line its user types, tagged with a name,
 * and shows the lines the server sends, until `quit`, end of input or the
 * server's end.
 *
 * @module
 */

import { type ClientIo, runPrompt } from "../cli/client_io.ts";
import { SockitError } from "../cli/errors.ts";
import { type ByteWriter, writeAll } from "../io/streams.ts";
import { formatEndpoint } from "../net/address.ts";
import { DatagramInbox } from "../net/datagram_inbox.ts";
import { describeOsError } from "../net/os_error.ts";
import { openUdpClient } from "../net/udp_socket.ts";
import { decodeChat, encodeChat, MAX_TEXT_BYTES } from "./message.ts";

const encoder = new TextEncoder();

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
 * import { runChatClient } from "./client.ts";
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
    await runPrompt(
      io,
      "",
      (line) =>
        send(encodeChat({ type: "msg", name: options.name, text: line })),
      MAX_TEXT_BYTES,
    );
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
    const datagram = await inbox.nextFrom(server).catch(() => null);
    if (!datagram) return;
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
