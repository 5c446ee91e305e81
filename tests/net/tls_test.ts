import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { CapturedLog, readToEnd } from "../_helpers.ts";
import { makeTestPki, type TestPki } from "../_tls.ts";
import { UsageError } from "../../lib/io/errors.ts";
import { openStream } from "../../lib/net/connect.ts";
import { serveTcpEcho } from "../../lib/tcp_echo/server.ts";
import { NODE_UNPAUSED_BUFFER_BYTES } from "../../lib/net/node_conn.ts";
import {
  fingerprintOf,
  loadServerTls,
  parsePin,
  pemCertificates,
} from "../../lib/net/tls.ts";
import { listenNode } from "../../lib/net/node_listen.ts";

const NEEDS = requires("openssl");

/** A TLS listener on 127.0.0.1, port 0, serving the test PKI's good certificate. */
async function listenTlsLoopback(pki: TestPki): Promise<Deno.TlsListener> {
  const tls = await loadServerTls(pki.good.cert, pki.good.key);
  return Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.cert,
    key: tls.key,
  });
}
const FP = "AB:".repeat(31) + "AB";

Deno.test("parsePin() takes openssl's output, colons or none, any case", () => {
  for (
    const text of [
      FP,
      FP.toLowerCase(),
      FP.replaceAll(":", ""),
      `sha256 Fingerprint=${FP}`,
      `SHA256:${FP}`,
      ` ${FP}\n`,
    ]
  ) {
    assert.equal(parsePin(text), FP, text);
  }
});

Deno.test("parsePin() rejects anything but 64 hex digits as a usage error", () => {
  for (const text of ["", "abc", FP + ":AB", FP.replace("A", "G"), "sha1:AB"]) {
    assert.throws(() => parsePin(text), UsageError, text);
  }
});

Deno.test(
  "fingerprintOf() of a PEM's first certificate equals openssl's",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    const pem = await Deno.readTextFile(pki.good.cert);
    const certs = pemCertificates(
      pem + "\n" + await Deno.readTextFile(pki.caFile),
    );
    assert.equal(certs.length, 2);
    assert.equal(fingerprintOf(certs[0]!), pki.good.sha256);
    const loaded = await loadServerTls(pki.good.cert, pki.good.key);
    assert.equal(loaded.sha256, pki.good.sha256);
  },
);

Deno.test(
  "a TLS server gives up on a client that never finishes the handshake, frees its socket and serves the next",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    const tls = await loadServerTls(pki.good.cert, pki.good.key);
    const log = new CapturedLog();
    const logger = log.logger("tcp-echo");
    const listener = await listenNode(
      { transport: "tcp", hostname: "127.0.0.1", port: 0 },
      { tls: { ...tls, handshakeTimeoutMs: 200 }, logger },
    );
    const port = (listener.addr as Deno.NetAddr).port;
    const stop = new AbortController();
    const served = serveTcpEcho(listener, {
      signal: stop.signal,
      logger,
      maxConns: 1,
    });
    try {
      // Half a ClientHello, then silence.
      using silent = await Deno.connect({ hostname: "127.0.0.1", port });
      await silent.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      const line = await log.waitFor(/"reason":"tls-handshake"/, 5000);
      assert.match(line, /did not finish within 0\.2 s/);
      const end = await silent.read(new Uint8Array(16)).catch(() => null);
      assert.equal(end, null, "the silent client's socket is closed, not kept");
      using conn = await openStream(
        { transport: "tcp", hostname: "localhost", port },
        {
          timeoutMs: 5000,
          tls: { caCerts: [await Deno.readTextFile(pki.caFile)] },
        },
      );
      await conn.write(new TextEncoder().encode("after"));
      await conn.closeWrite();
      assert.equal(new TextDecoder().decode(await readToEnd(conn)), "after");
    } finally {
      stop.abort();
      await served;
    }
  },
);

Deno.test(
  "a pinned TLS client fails, not grows, when the server sends over 16 MiB after its half-close",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    const listener = await listenTlsLoopback(pki);
    const flood = (async () => {
      const conn = await listener.accept();
      try {
        const buffer = new Uint8Array(16);
        while ((await conn.read(buffer)) !== null) {
          /* until the half-close */
        }
        const block = new Uint8Array(1 << 20);
        for (let sent = 0; sent <= 4 * NODE_UNPAUSED_BUFFER_BYTES;) {
          sent += await conn.write(block);
        }
        return "sent";
      } catch {
        return "closed by the client";
      } finally {
        conn.close();
      }
    })();
    try {
      using conn = await openStream(
        { transport: "tcp", hostname: "127.0.0.1", port: listener.addr.port },
        { timeoutMs: 5000, tls: { pin: pki.good.sha256 } },
      );
      await conn.closeWrite();
      // Nothing is read until the server is done: the client holds what it
      // gets, up to its bound, then closes the connection.
      assert.equal(await flood, "closed by the client");
      await assert.rejects(
        () => readToEnd(conn),
        /The server sent over 16 MiB ahead of what sockit could pass on/,
      );
    } finally {
      listener.close();
      await flood;
    }
  },
);
