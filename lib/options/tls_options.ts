/**
 * The TLS option groups: `--tls-cert`/`--tls-key` for servers and `--tls`,
 * `--tls-ca`, `--tls-pin`, `--tls-insecure` for clients, with their rules
 * declared beside them (TLS works over TCP only; a certificate needs its
 * key; `--tls-insecure` checks nothing, so it goes with no CA and no pin),
 * the relay's TLS towards its target (`--to-tls`), and the readers that
 * turn their values into TLS settings.
 *
 * @module
 */

import type { ClientIo } from "../cli/client_io.ts";
import { warn } from "../cli/client_io.ts";
import { flag, text, type Values } from "../cli/option.ts";
import { UsageError } from "../io/errors.ts";
import type { Endpoint } from "../net/address.ts";
import {
  type ClientTls,
  loadCaCerts,
  loadServerTls,
  parsePin,
  type ServerTls,
} from "../net/tls.ts";

const TLS_NEEDS_TCP_SERVER =
  "TLS works over TCP only: drop --unix or --tls-cert/--tls-key";
const CERT_AND_KEY = "Options --tls-cert and --tls-key go together: give both";

/** Options of TCP servers that can serve TLS: `--tls-cert` and `--tls-key`. */
export const TLS_SERVER_OPTIONS = {
  tlsCert: text({
    help: "Serve TLS with this PEM certificate chain",
    value: "FILE",
    requires: { tlsKey: CERT_AND_KEY },
    conflicts: { unix: TLS_NEEDS_TCP_SERVER },
  }),
  tlsKey: text({
    help: "The PEM private key of --tls-cert",
    value: "FILE",
    requires: { tlsCert: CERT_AND_KEY },
    conflicts: { unix: TLS_NEEDS_TCP_SERVER },
  }),
};

const TLS_NEEDS_TCP_CLIENT =
  "TLS works over TCP only: drop --unix or the --tls options";
const INSECURE_CHECKS_NOTHING =
  "Option --tls-insecure checks nothing: drop it, or drop --tls-ca and --tls-pin";

/** Options of TCP clients that can speak TLS. */
export const TLS_CLIENT_OPTIONS = {
  tls: flag({
    help: "Connect over TLS, checking the certificate against the system CAs",
    conflicts: { unix: TLS_NEEDS_TCP_CLIENT },
  }),
  tlsCa: text({
    help: "Trust only the CA certificates in this PEM file (implies --tls)",
    value: "FILE",
    conflicts: { unix: TLS_NEEDS_TCP_CLIENT },
  }),
  tlsPin: text({
    help:
      "Accept only this certificate fingerprint; replaces CA checks unless --tls-ca",
    value: "SHA256",
    conflicts: { unix: TLS_NEEDS_TCP_CLIENT },
  }),
  tlsInsecure: flag({
    help: "Check no certificate (prints a warning; never with a token)",
    conflicts: {
      unix: TLS_NEEDS_TCP_CLIENT,
      tlsCa: INSECURE_CHECKS_NOTHING,
      tlsPin: INSECURE_CHECKS_NOTHING,
    },
  }),
};

/** A client certificate for servers that ask for one (`exec server --tls-client-ca`). */
export const TLS_CLIENT_CERT_OPTIONS = {
  tlsCert: text({
    help:
      "Present this PEM client certificate (implies --tls), for a server with --tls-client-ca",
    value: "FILE",
    requires: { tlsKey: CERT_AND_KEY },
    conflicts: { unix: TLS_NEEDS_TCP_CLIENT },
  }),
  tlsKey: text({
    help: "The PEM private key of --tls-cert",
    value: "FILE",
    requires: { tlsCert: CERT_AND_KEY },
    conflicts: { unix: TLS_NEEDS_TCP_CLIENT },
  }),
};

/**
 * The server's certificate and key, or `undefined` without `--tls-cert`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok((await serverTlsFrom({ tlsCert: undefined, tlsKey: undefined })) === undefined);
 * ```
 */
export async function serverTlsFrom(
  values: Values<typeof TLS_SERVER_OPTIONS>,
): Promise<ServerTls | undefined> {
  if (values.tlsCert === undefined || values.tlsKey === undefined) {
    return undefined;
  }
  return await loadServerTls(values.tlsCert, values.tlsKey);
}

/** The warning `--tls-insecure` prints on stderr. */
export const TLS_INSECURE_WARNING =
  "--tls-insecure: the server's certificate is not checked; anyone on the path can read and change this connection";

/**
 * How the client checks the server, or `undefined` for plain TCP. Writes
 * the `--tls-insecure` warning to `io.stderr`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryWriter } from "../io/memory.ts";
 * const values = { tls: true, tlsCa: undefined, tlsPin: undefined, tlsInsecure: false };
 * const tls = await clientTlsFrom(values, { stderr: new MemoryWriter() });
 * assert.ok(tls !== undefined && tls.insecure === undefined);
 * ```
 */
export async function clientTlsFrom(
  values:
    & Values<typeof TLS_CLIENT_OPTIONS>
    & Partial<Values<typeof TLS_CLIENT_CERT_OPTIONS>>,
  io: Pick<ClientIo, "stderr">,
): Promise<ClientTls | undefined> {
  const { tlsCa, tlsPin, tlsInsecure } = values;
  const clientCert = values.tlsCert !== undefined && values.tlsKey !== undefined
    ? await loadServerTls(values.tlsCert, values.tlsKey)
    : undefined;
  const withCert = clientCert
    ? { clientCert: { cert: clientCert.cert, key: clientCert.key } }
    : {};
  if (tlsInsecure) {
    await warn(io, `warning: ${TLS_INSECURE_WARNING}`);
    return { insecure: true, ...withCert };
  }
  if (
    !values.tls && tlsCa === undefined && tlsPin === undefined && !clientCert
  ) {
    return undefined;
  }
  return {
    ...(tlsCa === undefined ? {} : { caCerts: await loadCaCerts(tlsCa) }),
    ...(tlsPin === undefined ? {} : { pin: parsePin(tlsPin) }),
    ...withCert,
  };
}

const IMPLIES_TO_TLS = "(implies --to-tls)";

/** TLS towards the target: `--to-tls` and how the target's certificate is checked. */
export const TARGET_TLS_OPTIONS = {
  toTls: flag({
    help: "Connect to the target over TLS, checked against the system CAs",
  }),
  tlsCa: text({
    help: `Trust only the CA certificates in this PEM file ${IMPLIES_TO_TLS}`,
    value: "FILE",
  }),
  tlsPin: text({
    help: `Accept only this target certificate fingerprint ${IMPLIES_TO_TLS}`,
    value: "SHA256",
  }),
  tlsInsecure: flag({
    help: `Check no target certificate, with a warning ${IMPLIES_TO_TLS}`,
    conflicts: {
      tlsCa: "Option --tls-insecure checks nothing: drop it, or drop --tls-ca",
      tlsPin:
        "Option --tls-insecure checks nothing: drop it, or drop --tls-pin",
    },
  }),
};

/**
 * How the relay checks the target over TLS, or `undefined` for plain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetTlsFrom } from "./tls_options.ts";
 * const plain = { toTls: false, tlsCa: undefined, tlsPin: undefined, tlsInsecure: false };
 * assert.ok((await targetTlsFrom(plain, { transport: "tcp", hostname: "h", port: 1 })) === undefined);
 * ```
 */
export async function targetTlsFrom(
  values: Values<typeof TARGET_TLS_OPTIONS>,
  target: Endpoint,
): Promise<ClientTls | undefined> {
  const tls = await clientTlsFrom(
    { ...values, tls: values.toTls },
    { stderr: Deno.stderr },
  );
  if (tls && target.transport === "unix") {
    throw new UsageError(
      "TLS works over TCP only: drop --to-tls (and --tls-ca, --tls-pin, --tls-insecure) or forward to HOST:PORT",
    );
  }
  return tls;
}
