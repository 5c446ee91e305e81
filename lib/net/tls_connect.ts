/**
 * Opening TLS client connections. Verification (the system's CAs or
 * `--tls-ca`, and the host name) goes through Deno's own TLS, whose errors
 * say exactly what is wrong. Pinning and `--tls-insecure` need the peer's
 * certificate or verification turned off, which only `node:tls` offers in
 * Deno 2.9, so they go through `node:tls` and {@linkcode NodeConn}, the adapter
 * that gives a Node socket the same read/write/closeWrite shape as a `Deno.Conn`.
 *
 * @module
 */

import { closeQuietly } from "../io/streams.ts";
import * as nodeTls from "node:tls";
import { formatHostPort, isIpAddress } from "./address.ts";
import { SockitError } from "../io/errors.ts";
import { describeOsError } from "./os_error.ts";
import { NodeConn } from "./node_conn.ts";
import { type ClientTls, TLS_HANDSHAKE_TIMEOUT_MS } from "./tls.ts";
import { Deadline } from "../io/timers.ts";

/** Where a TLS client connects. */
export interface TlsTarget {
  /** Host name (checked against the certificate) or address. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/**
 * Upgrades a connected TCP socket to TLS with verification on, and finishes
 * the handshake within `timeoutMs`. Closes `tcp` on failure.
 *
 * @example
 * ```ts ignore
 * import { startVerifiedTls } from "./tls_connect.ts";
 * const tcp = await Deno.connect({ hostname: "example.com", port: 443 });
 * const conn = await startVerifiedTls(tcp, { hostname: "example.com", port: 443 }, {}, 5000);
 * conn.close();
 * ```
 */
export async function startVerifiedTls(
  tcp: Deno.TcpConn,
  target: TlsTarget,
  tls: ClientTls,
  timeoutMs: number,
): Promise<Deno.TlsConn> {
  let conn: Deno.TlsConn | undefined;
  using deadline = new Deadline(
    Math.min(timeoutMs, TLS_HANDSHAKE_TIMEOUT_MS),
    () => (conn ?? tcp).close(),
  );
  try {
    conn = await Deno.startTls(tcp, {
      hostname: target.hostname,
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
    });
    await conn.handshake();
    return conn;
  } catch (err) {
    closeQuietly(conn ?? tcp);
    throw tlsFailure(target, err, deadline.expired);
  }
}

/**
 * Connects with `node:tls` to pin the server's certificate, to skip
 * verification, or to present a client certificate, within `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { connectNodeTls } from "./tls_connect.ts";
 * const conn = await connectNodeTls({ hostname: "127.0.0.1", port: 8443 }, { insecure: true }, 5000);
 * conn.close();
 * ```
 */
export function connectNodeTls(
  target: TlsTarget,
  tls: ClientTls,
  timeoutMs: number,
): Promise<NodeConn> {
  // A pin alone replaces the CA checks; otherwise --tls-ca, or Node's own roots.
  const verify = !tls.insecure &&
    (tls.caCerts !== undefined || tls.pin === undefined);
  return new Promise((resolve, reject) => {
    const socket = nodeTls.connect({
      host: target.hostname,
      port: target.port,
      rejectUnauthorized: verify,
      ...(verify ? { ca: tls.caCerts } : {}),
      ...(isIpAddress(target.hostname) ? {} : { servername: target.hostname }),
      ...(tls.clientCert ?? {}),
    });
    const deadline = new Deadline(timeoutMs, () => fail(null, true));
    const fail = (err: unknown, timedOut = false) => {
      deadline[Symbol.dispose]();
      socket.destroy();
      reject(tlsFailure(target, err, timedOut));
    };
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      deadline[Symbol.dispose]();
      socket.off("error", fail);
      const got = socket.getPeerCertificate().fingerprint256;
      if (tls.pin !== undefined && got !== tls.pin) {
        socket.destroy();
        reject(
          new SockitError(
            `TLS to ${
              formatHostPort(target.hostname, target.port)
            } refused: the server's certificate is SHA256 ${got}, not the --tls-pin ${tls.pin}`,
          ),
        );
        return;
      }
      socket.setNoDelay(true);
      resolve(new NodeConn(socket));
    });
  });
}

/**
 * One line saying why a TLS connection failed and what to do, from Deno's
 * or Node's error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tlsFailure } from "./tls_connect.ts";
 * const err = tlsFailure({ hostname: "localhost", port: 1 }, new Error("invalid peer certificate: UnknownIssuer"), false);
 * assert.ok(err.message.includes("--tls-ca"));
 * ```
 */
export function tlsFailure(
  target: TlsTarget,
  err: unknown,
  timedOut: boolean,
): SockitError {
  const where = `TLS to ${formatHostPort(target.hostname, target.port)} failed`;
  const why = timedOut ? "the handshake timed out" : explainTls(err);
  return new SockitError(`${where}: ${why}`, { cause: err });
}

function explainTls(err: unknown): string {
  const code = (err as { code?: string } | null)?.code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  if (
    /UnknownIssuer|UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/.test(
      `${code} ${message}`,
    )
  ) {
    return "the server's certificate is not signed by a CA you trust; pass its CA with --tls-ca FILE or pin it with --tls-pin SHA256";
  }
  const expired = message.match(/certificate expired.*not valid after (\d+)/);
  if (expired || code === "CERT_HAS_EXPIRED") {
    const when = expired
      ? ` on ${new Date(Number(expired[1]) * 1000).toISOString()}`
      : "";
    return `the server's certificate expired${when}; the server needs a new one`;
  }
  if (
    /NotValidForName|not valid for name|ALTNAME/i.test(`${code} ${message}`)
  ) {
    return `the server's certificate is not for this host name (${
      message.replace(/^invalid peer certificate: /, "")
    }); connect by a name the certificate lists`;
  }
  if (/corrupt message|InvalidContentType|wrong version/i.test(message)) {
    return "the server does not speak TLS; drop --tls or point at a TLS server";
  }
  if (/close_notify|UnexpectedEof|socket hang up|ECONNRESET/i.test(message)) {
    return "the server closed the connection during the handshake (is it a TLS server?)";
  }
  if (code === "ECONNREFUSED") return "connection refused";
  return describeOsError(err);
}
