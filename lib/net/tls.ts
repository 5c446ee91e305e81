/**
 * TLS settings for sockit's TCP services: the server's certificate and key
 * (`--tls-cert`, `--tls-key`), the client's trust (`--tls`, `--tls-ca`,
 * `--tls-pin`, `--tls-insecure`), and the SHA-256 certificate fingerprints
 * a pin is compared against. Reading and checking only; connecting lives in
 * `tls_connect.ts`.
 *
 * @module
 */

import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { UsageError } from "../io/errors.ts";
import { readUserText } from "../io/user_files.ts";

/** A server's certificate chain and private key, read from PEM files. */
export interface ServerTls {
  /** The certificate chain, PEM, leaf first. */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** The leaf certificate's SHA-256 fingerprint, `AB:CD:...`. */
  sha256: string;
}

/** How a client checks the server. Verification is on unless `insecure`. */
export interface ClientTls {
  /** Trust only these CA certificates (PEM) instead of the system's. */
  caCerts?: string[];
  /** Accept only a server certificate with this SHA-256 fingerprint. */
  pin?: string;
  /** Check nothing (`--tls-insecure`): encryption without authentication. */
  insecure?: boolean;
  /** Present this certificate and key (`--tls-cert`, `--tls-key`) to a server that asks. */
  clientCert?: { cert: string; key: string };
}

/** How long a TLS handshake may take on either side, in ms: 10 s. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

const CERT_BLOCK =
  /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;

/**
 * The DER bytes of each certificate in a PEM text, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pemCertificates } from "./tls.ts";
 * assert.ok(pemCertificates("no certificate here").length === 0);
 * ```
 */
export function pemCertificates(pem: string): Uint8Array[] {
  return [...pem.matchAll(CERT_BLOCK)].map((m) =>
    Uint8Array.from(atob(m[1]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0))
  );
}

/**
 * The SHA-256 fingerprint of DER bytes as openssl prints it: upper-case hex
 * pairs joined by colons.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintOf } from "./tls.ts";
 * assert.ok(fingerprintOf(new Uint8Array()).startsWith("E3:B0:C4:42"));
 * ```
 */
export function fingerprintOf(der: Uint8Array): string {
  const hex = createHash("sha256").update(der).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

/**
 * Reads a `--tls-pin` value: 64 hex digits, with or without colons, as
 * `openssl x509 -noout -fingerprint -sha256` prints them (an optional
 * `sha256 Fingerprint=` or `sha256:` prefix is dropped). Returns the
 * canonical `AB:CD:...` form, or throws a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePin } from "./tls.ts";
 * assert.ok(parsePin("ab".repeat(32)) === Array(32).fill("AB").join(":"));
 * ```
 */
export function parsePin(text: string): string {
  const hex = text.trim().replace(/^sha256( Fingerprint=|:)/i, "").replace(
    /:/g,
    "",
  );
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new UsageError(
      `Invalid --tls-pin "${text}": give the certificate's SHA-256 fingerprint, 64 hex digits (openssl x509 -noout -fingerprint -sha256 -in CERT)`,
    );
  }
  return hex.toUpperCase().match(/../g)!.join(":");
}

/**
 * Reads and checks `--tls-cert` and `--tls-key`: both must be readable PEM
 * files, the first with at least one certificate, the second with a key.
 *
 * @example
 * ```ts ignore
 * import { loadServerTls } from "./tls.ts";
 * const tls = await loadServerTls("server.pem", "server.key");
 * console.log(tls.sha256);
 * ```
 */
export async function loadServerTls(
  certFile: string,
  keyFile: string,
): Promise<ServerTls> {
  const cert = await readPemFile("--tls-cert", certFile);
  const certs = pemCertificates(cert);
  if (certs.length === 0) {
    throw new UsageError(
      `The --tls-cert "${certFile}" has no PEM certificate (-----BEGIN CERTIFICATE-----); give the certificate, not the key`,
    );
  }
  const key = await readPemFile("--tls-key", keyFile);
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(key)) {
    throw new UsageError(
      `The --tls-key "${keyFile}" has no PEM private key (-----BEGIN PRIVATE KEY-----); give the key, not the certificate`,
    );
  }
  checkKeyFits(cert, key);
  return { cert, key, sha256: fingerprintOf(certs[0]!) };
}

/** Throws a usage error unless `key` is the private key of `cert`'s leaf. */
function checkKeyFits(cert: string, key: string): void {
  let fits: boolean;
  try {
    fits = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new UsageError(
      `Cannot use --tls-cert and --tls-key: ${
        (err as Error).message
      }; give a PEM certificate and its own key`,
    );
  }
  if (!fits) {
    throw new UsageError(
      "Cannot use --tls-cert and --tls-key: the key does not belong to the certificate; give the certificate's own key",
    );
  }
}

/**
 * Reads `--tls-ca` (or `option`, e.g. `--tls-client-ca`): a PEM file with
 * one or more CA certificates.
 *
 * @example
 * ```ts ignore
 * import { loadCaCerts } from "./tls.ts";
 * const caCerts = await loadCaCerts("ca.pem");
 * ```
 */
export async function loadCaCerts(
  caFile: string,
  option = "--tls-ca",
): Promise<string[]> {
  const pem = await readPemFile(option, caFile);
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(
      `The ${option} "${caFile}" has no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return blocks;
}

async function readPemFile(option: string, path: string): Promise<string> {
  try {
    return await readUserText(path);
  } catch (err) {
    throw new UsageError(
      `Cannot read ${option} "${path}": ${(err as Error).message}`,
    );
  }
}

/**
 * Whether bytes a server sent first look like a TLS record (a handshake or
 * an alert, version 3.x): a plain client talking to a TLS server gets
 * these, and should say so rather than misread them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { looksLikeTls } from "./tls.ts";
 * assert.ok(looksLikeTls(new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02])));
 * assert.ok(!looksLikeTls(new TextEncoder().encode("hello")));
 * ```
 */
export function looksLikeTls(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && (bytes[0] === 0x15 || bytes[0] === 0x16) &&
    bytes[1] === 0x03 && bytes[2]! <= 0x04;
}

/** What a plain client says when the server speaks TLS. */
export const SPEAKS_TLS_HINT =
  "the server speaks TLS; add --tls, --tls-ca FILE or --tls-pin SHA256";
