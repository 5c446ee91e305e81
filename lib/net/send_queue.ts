/**
 * How many bytes a TCP socket's kernel still holds unsent (or unacknowledged)
 * on Linux: the `tx_queue` column of `/proc/net/tcp` and `/proc/net/tcp6`.
 * A reset (RST) discards those bytes, so the relay's `--reset-after` waits
 * for the queue to empty before it resets. Deno opens nothing under `/proc`
 * without `--allow-all`, which sockit never asks for, so the tables are read
 * through `cat`. Elsewhere, or when the table cannot be read, the answer is
 * `undefined`: sockit cannot see the queue there.
 *
 * @module
 */

/** One end of a TCP connection, as `node:net` names it. */
export interface SocketEnds {
  /** This end's address and port. */
  localAddress: string;
  localPort: number;
  /** The peer's address and port. */
  remoteAddress: string;
  remotePort: number;
}

/**
 * The bytes the kernel still holds for the connection `ends`, read from
 * the text of `/proc/net/tcp` (or `tcp6`); `undefined` when it is not there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unsentIn } from "./send_queue.ts";
 * const table = "  sl  local_address rem_address   st tx_queue rx_queue\n" +
 *   "   0: 0100007F:1F90 0100007F:C350 01 00000010:00000000 00:00000000 00000000 0 0 1 1\n";
 * const ends = { localAddress: "127.0.0.1", localPort: 8080, remoteAddress: "127.0.0.1", remotePort: 50000 };
 * assert.equal(unsentIn(table, ends), 16);
 * ```
 */
export function unsentIn(table: string, ends: SocketEnds): number | undefined {
  const local = procAddress(ends.localAddress, ends.localPort);
  const remote = procAddress(ends.remoteAddress, ends.remotePort);
  if (!local || !remote) return undefined;
  for (const line of table.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[2] === remote) {
      return parseInt(fields[4]!.split(":")[0]!, 16);
    }
  }
  return undefined;
}

/**
 * Reads the kernel's unsent bytes for `ends` now; `undefined` off Linux or
 * when the tables cannot be read.
 *
 * @example
 * ```ts ignore
 * import { kernelUnsentBytes } from "./send_queue.ts";
 * const unsent = await kernelUnsentBytes(socket);
 * ```
 */
export async function kernelUnsentBytes(
  ends: SocketEnds,
): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const out = await new Deno.Command("cat", {
      args: ["/proc/net/tcp", "/proc/net/tcp6"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return unsentIn(new TextDecoder().decode(out.stdout), ends);
  } catch {
    return undefined;
  }
}

/** An address and port as `/proc/net/tcp` writes them: `0100007F:1F90`. */
function procAddress(address: string, port: number): string | undefined {
  const portHex = port.toString(16).toUpperCase().padStart(4, "0");
  const v4 = address.replace(/^::ffff:/, "").match(
    /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
  );
  if (v4) {
    const bytes = v4.slice(1).map(Number).reverse();
    return `${bytes.map(hex2).join("")}:${portHex}`;
  }
  const words = expandIpv6(address);
  if (!words) return undefined;
  // Four 32-bit words, each in host (little-endian) byte order.
  let text = "";
  for (let w = 0; w < 4; w++) {
    const bytes = [
      words[w * 2]! >> 8,
      words[w * 2]! & 0xff,
      words[w * 2 + 1]! >> 8,
      words[w * 2 + 1]! & 0xff,
    ];
    text += bytes.reverse().map(hex2).join("");
  }
  return `${text}:${portHex}`;
}

function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

function expandIpv6(address: string): number[] | undefined {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!bare.includes(":")) return undefined;
  const [head = "", tail] = bare.split("::");
  const part = (s: string) => s === "" ? [] : s.split(":");
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const words = [...left, ...Array(missing).fill("0"), ...right].map((w) =>
    parseInt(w, 16)
  );
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)
    ? words
    : undefined;
}
