/**
 * Exec test helpers: an in-process exec server on 127.0.0.1:0, a raw
 * protocol client written independently of lib/frame.ts (DataView and
 * JSON.parse), and process-group checks through /proc.
 *
 * @module
 */

import { TokenCheck } from "../lib/exec/auth.ts";
import { type ExecServerOptions, serveExec } from "../lib/exec/server.ts";
import { writeAll } from "../lib/io/streams.ts";
import {
  readExactly,
  serveInProcess,
  waitUntil,
  withTimeout,
} from "./_helpers.ts";

/** Starts an exec server; stops it at dispose. */
export function startExec(
  options: Partial<Omit<ExecServerOptions, "signal" | "logger" | "token">> & {
    token?: string;
  } = {},
) {
  const { token, ...rest } = options;
  return serveInProcess(
    "exec",
    (listener, signal, logger) =>
      serveExec(listener, {
        signal,
        logger,
        token: new TokenCheck(token),
        ...rest,
      }),
  );
}

/** A frame for `header`, built by hand. */
export function frame(
  header: unknown,
  body: Uint8Array = new Uint8Array(),
): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + json.length + body.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(body, 4 + json.length);
  return out;
}

/** A reply as read off the wire. */
export interface RawReply {
  header: Record<string, unknown>;
  body: Uint8Array;
  stdout: string;
  stderr: string;
}

/** Reads one reply: the length, the JSON header, total_size bytes of body. */
export async function readReply(
  conn: Deno.Conn,
  ms = 15_000,
): Promise<RawReply> {
  return await withTimeout(
    (async () => {
      const prefix = await readExactly(conn, 4);
      const length = new DataView(prefix.buffer).getUint32(0, true);
      const header = JSON.parse(
        new TextDecoder().decode(await readExactly(conn, length)),
      );
      const body = await readExactly(conn, header.total_size);
      const decoder = new TextDecoder();
      const stdoutSize = header.stdout_size ?? body.length;
      return {
        header,
        body,
        stdout: decoder.decode(body.subarray(0, stdoutSize)),
        stderr: decoder.decode(body.subarray(stdoutSize)),
      };
    })(),
    ms,
    "a reply",
  );
}

/** Sends one framed request on `conn` and reads its reply. */
export async function request(
  conn: Deno.Conn,
  header: Record<string, unknown>,
  stdin?: Uint8Array,
): Promise<RawReply> {
  const body = stdin ?? new Uint8Array();
  await writeAll(
    conn,
    frame(stdin ? { ...header, stdin_size: body.length } : header, body),
  );
  return await readReply(conn);
}

/** Whether any live (not zombie) process belongs to process group `pgid`, by `ps`. */
export async function groupAlive(pgid: number): Promise<boolean> {
  const output = await new Deno.Command("ps", {
    args: ["-eo", "pgid=,stat="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n").some((line) => {
    const [group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && !stat?.startsWith("Z");
  });
}

/** Waits for a command to write its PID (`echo $$ > path`) and returns it. */
export async function readPidFile(path: string, ms = 10_000): Promise<number> {
  let text = "";
  await waitUntil(
    async () => {
      text = await Deno.readTextFile(path).catch(() => "");
      return text.endsWith("\n");
    },
    ms,
    "the command to start",
  );
  return Number(text);
}
