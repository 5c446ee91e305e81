/**
 * A throwaway PKI made with `openssl` at test time (no key is ever
 * committed): a test CA, and server certificates that are good, for the
 * wrong host, expired, or signed by a CA nobody trusts. Fingerprints come
 * from `openssl x509 -fingerprint`, independently of lib/tls.ts.
 *
 * @module
 */

import { withTimeout } from "./_helpers.ts";

/** A certificate and its key, as file paths. */
export interface CertFiles {
  cert: string;
  key: string;
  /** `AB:CD:...` as openssl prints it. */
  sha256: string;
}

/** Every certificate the TLS tests use; the directory is removed at dispose. */
export interface TestPki extends AsyncDisposable {
  dir: string;
  /** The CA clients are told to trust. */
  caFile: string;
  /** Signed by the CA, for localhost, 127.0.0.1 and ::1. */
  good: CertFiles;
  /** Signed by the CA, only for wrong.example.invalid. */
  wrongHost: CertFiles;
  /** Signed by the CA, for localhost, valid only on 1 Jan 2020. */
  expired: CertFiles;
  /** For localhost, signed by another CA nobody trusts. */
  unknownCa: CertFiles;
}

const LOCAL_NAMES = "DNS:localhost,IP:127.0.0.1,IP:::1";

async function openssl(dir: string, ...args: string[]): Promise<string> {
  const out = await withTimeout(
    new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output(),
    15_000,
    `openssl ${args[0]}`,
  );
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`openssl ${args.join(" ")}: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    ...EC_KEY,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=sockit test ${name}`,
  );
}

function caConfig(names: string, usage: string): string {
  return [
    "[ca]",
    "default_ca = d",
    "[d]",
    "database = index.txt",
    "new_certs_dir = .",
    "serial = serial",
    "default_md = sha256",
    "policy = p",
    "unique_subject = no",
    "x509_extensions = ext",
    "[p]",
    "commonName = supplied",
    "[ext]",
    ...(names ? [`subjectAltName = ${names}`] : []),
    "basicConstraints = CA:FALSE",
    `extendedKeyUsage = ${usage}`,
    "",
  ].join("\n");
}

/** Issues a leaf for `names` signed by CA `ca`, valid from `start` to `end` (openssl ca dates). */
async function issue(
  dir: string,
  name: string,
  ca: string,
  names: string,
  dates: [string, string] | null,
  usage = "serverAuth",
): Promise<CertFiles> {
  await Deno.writeTextFile(`${dir}/${name}.cnf`, caConfig(names, usage));
  await openssl(
    dir,
    "req",
    ...EC_KEY,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  await openssl(
    dir,
    "ca",
    "-batch",
    "-notext",
    "-config",
    `${name}.cnf`,
    "-cert",
    `${ca}.pem`,
    "-keyfile",
    `${ca}.key`,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.pem`,
    ...(dates
      ? ["-startdate", dates[0], "-enddate", dates[1]]
      : ["-days", "1"]),
  );
  const fingerprint = await openssl(
    dir,
    "x509",
    "-noout",
    "-fingerprint",
    "-sha256",
    "-in",
    `${name}.pem`,
  );
  return {
    cert: `${dir}/${name}.pem`,
    key: `${dir}/${name}.key`,
    sha256: fingerprint.trim().replace(/^.*=/, ""),
  };
}

/**
 * Makes the test PKI in a fresh temporary directory.
 *
 * @example
 * ```ts ignore
 * await using pki = await makeTestPki();
 * ```
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pki-" });
  try {
    await Deno.writeTextFile(`${dir}/index.txt`, "");
    await Deno.writeTextFile(`${dir}/serial`, "1000\n");
    await makeCa(dir, "ca");
    await makeCa(dir, "other-ca");
    return {
      dir,
      caFile: `${dir}/ca.pem`,
      good: await issue(dir, "good", "ca", LOCAL_NAMES, null),
      wrongHost: await issue(
        dir,
        "wrong-host",
        "ca",
        "DNS:wrong.example.invalid",
        null,
      ),
      expired: await issue(dir, "expired", "ca", LOCAL_NAMES, [
        "20200101000000Z",
        "20200102000000Z",
      ]),
      unknownCa: await issue(dir, "unknown-ca", "other-ca", LOCAL_NAMES, null),
      async [Symbol.asyncDispose]() {
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
}

/**
 * Issues a client certificate (X.509 v3, `clientAuth`) for `name`, signed
 * by the test PKI's CA or, with `ca: "other-ca"`, by the CA nobody trusts.
 *
 * @example
 * ```ts ignore
 * const alice = await issueClientCert(pki, "alice", "ca");
 * ```
 */
export function issueClientCert(
  pki: TestPki,
  name: string,
  ca: "ca" | "other-ca",
): Promise<CertFiles> {
  return issue(pki.dir, name, ca, "", null, "clientAuth");
}
