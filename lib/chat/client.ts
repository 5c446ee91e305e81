/**
 * The UDP chat client: sends each line its user types, tagged with a name,
 * and shows the lines the server sends, until `quit`, end of input or the
 * server's end.
 *
 * @module
 */

import type { Tracer } from "../net/trace.ts";
import { type ClientIo, runPrompt, warn } from "../cli/client_io.ts";
import { Deadline, whenAborted } from "../io/timers.ts";
import { SockitError } from "../io/errors.ts";
import { writeAll } from "../io/streams.ts";
import { type Endpoint, formatAddr } from "../net/address.ts";
import { type Datagram, DatagramInbox } from "../net/datagram_inbox.ts";
import { describeOsError } from "../net/os_error.ts";
import { openDatagramClient } from "../net/udp_socket.ts";
import { decodeChat, encodeChat, MAX_TEXT_BYTES, rawText } from "./message.ts";

const encoder = new TextEncoder();

/** Options of {@linkcode runChatClient}. */
export interface ChatClientOptions {
  /** The server: UDP or a unix datagram socket. */
  endpoint: Endpoint;
  /** Trace each datagram (`--trace`). */
  tracer?: Tracer | undefined;
  /** The name this client's lines carry. */
  name: string;
  /** Log datagrams from anyone but the server on stderr. @default {false} */
  verbose?: boolean;
}

/**
 * Runs a chat client until `quit`, end of input, or the server's end;
 * resolves to exit code 0. It joins first; a server that never answers
 * (none is there: UDP says nothing) is warned of after
 * {@linkcode JOIN_ANSWER_MS} and ends the client with a
 * {@linkcode SockitError}.
 *
 * @example
 * ```ts ignore
 * import { runChatClient } from "./client.ts";
 * await runChatClient({ endpoint: { transport: "udp", hostname: "127.0.0.1", port: 3001 }, name: "alice" }, processIo());
 * ```
 */
export async function runChatClient(
  options: ChatClientOptions,
  io: ClientIo,
): Promise<number> {
  await using client = await openDatagramClient(
    options.endpoint,
    options.tracer,
  );
  const { socket, server } = client;
  const send = async (data: Uint8Array) => {
    try {
      await socket.send(data, server);
    } catch (err) {
      throw new SockitError(
        `Cannot send to ${client.where}: ${describeOsError(err)}`,
      );
    }
  };
  let heard = false;
  let ending = false; // Then the final error says it; no warning first.
  let answered = () => {};
  const firstAnswer = new Promise<void>((resolve) => answered = resolve);
  const receiving = receiveFromServer(
    socket,
    server,
    io,
    () => {
      heard = true;
      answered();
    },
    options.verbose,
  );
  await send(encodeChat({ type: "join", name: options.name }));
  using silence = new Deadline(JOIN_ANSWER_MS, () => {
    if (!heard && !ending) {
      warn(
        io,
        `no answer from ${client.where} yet: is the server up? (lines are still sent)`,
      ).catch(() => {});
    }
  });
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
    if (!heard) {
      ending = true;
      // Input ended at once (a pipe): give the welcome its time to come.
      using silent = whenAborted(silence.signal);
      await Promise.race([firstAnswer, silent.promise]);
    }
  } finally {
    socket.close();
    await receiving;
  }
  if (!heard) {
    throw new SockitError(
      `${client.where} never answered: is the chat server up there?`,
    );
  }
  return 0;
}

/** How long a client waits for the server's welcome before it warns: 2 s. */
export const JOIN_ANSWER_MS = 2000;

/**
 * Shows what the server sends: its chat lines, the end of the chat, and a
 * raw-text datagram (a seeds' server) as a `server:` line.
 */
async function receiveFromServer(
  socket: Deno.DatagramConn,
  server: Deno.Addr,
  io: ClientIo,
  heard: () => void,
  verbose = false,
): Promise<void> {
  const inbox = new DatagramInbox(socket);
  const show = (line: string) =>
    writeAll(io.stdout, encoder.encode(line + "\n"));
  const fromElsewhere = ({ data, from }: Datagram) =>
    verbose
      ? warn(
        io,
        `ignored ${data.length} bytes from ${
          formatAddr(from)
        }, which is not the server`,
      )
      : undefined;
  while (true) {
    const datagram = await inbox.nextFrom(server, undefined, fromElsewhere)
      .catch(() => null);
    if (!datagram) return;
    heard();
    const message = decodeChat(datagram.data);
    if (message?.type === "bye") {
      await show("server ended the chat");
      return;
    }
    if (message === null) await show(`server: ${rawText(datagram.data)}`);
    else if (message.type === "msg") {
      await show(`${message.name}: ${message.text}`);
    }
  }
}
