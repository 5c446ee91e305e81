import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { randomPayload, runPython, sha256 } from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { type CertFiles, makeTestPki } from "../_tls.ts";

const NEEDS = requires("openssl");

function tlsServer(
  service: "tcp-echo" | "exec",
  files: CertFiles,
  ...extra: string[]
): Promise<ServerProcess> {
  return ServerProcess.start([
    service,
    "server",
    "--port",
    "0",
    "--tls-cert",
    files.cert,
    "--tls-key",
    files.key,
    ...extra,
  ]);
}

function echoClient(port: number, ...extra: string[]) {
  return runSockit([
    "tcp-echo",
    "client",
    "--port",
    String(port),
    "--message",
    "hi",
    "--expect",
    "hi",
    ...extra,
  ]);
}

Deno.test(
  "tls: the echo server says tls:// and its fingerprint; a client trusting the CA gets its echo",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using server = await tlsServer("tcp-echo", pki.good);
    assert.match(server.address, /^tls:\/\/127\.0\.0\.1:\d+$/);
    await server.waitForStderr(new RegExp(`cert_sha256=${pki.good.sha256}$`));
    for (const host of ["localhost", "127.0.0.1"]) {
      const ok = await echoClient(
        server.port,
        "--host",
        host,
        "--tls-ca",
        pki.caFile,
      );
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "hi\n");
    }
    const closes = server.stderrLines.filter((l) => l.includes(" close "));
    assert.ok(
      closes.every((l) => l.includes("reason=eof")),
      `clients end with close_notify, so the server logs a clean end: ${closes}`,
    );
  },
);

Deno.test("tls: Python's ssl module, verifying against the CA, gets its echo", {
  ...requires("openssl", "python3"),
}, async () => {
  await using pki = await makeTestPki();
  await using server = await tlsServer("tcp-echo", pki.good);
  const out = await runPython(
    `import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"from python\\n")
        data = b""
        while not data.endswith(b"\\n"):
            data += s.recv(100)
        print(data.decode().strip(), s.version())`,
    pki.caFile,
    String(server.port),
  );
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(
    new TextDecoder().decode(out.stdout),
    /^from python TLSv1\.[23]/,
  );
});

Deno.test(
  "tls: each bad certificate is refused with a line that says why",
  NEEDS,
  async (t) => {
    await using pki = await makeTestPki();
    const cases: [string, CertFiles, string[], RegExp][] = [
      [
        "wrong host name",
        pki.wrongHost,
        ["--host", "localhost", "--tls-ca", pki.caFile],
        /^sockit: TLS to localhost:\d+ failed: the server's certificate is not for this host name .*connect by a name the certificate lists\n$/,
      ],
      [
        "expired",
        pki.expired,
        ["--host", "localhost", "--tls-ca", pki.caFile],
        /failed: the server's certificate expired on 2020-01-02T00:00:00\.000Z; the server needs a new one\n$/,
      ],
      [
        "unknown CA, with --tls-ca",
        pki.unknownCa,
        ["--host", "localhost", "--tls-ca", pki.caFile],
        /failed: the server's certificate is not signed by a CA you trust; pass its CA with --tls-ca FILE or pin it with --tls-pin SHA256\n$/,
      ],
      [
        "unknown CA, with the system CAs",
        pki.unknownCa,
        ["--host", "localhost", "--tls"],
        /not signed by a CA you trust/,
      ],
    ];
    for (const [name, files, args, expected] of cases) {
      await t.step(name, async () => {
        await using server = await tlsServer("tcp-echo", files);
        const refused = await echoClient(server.port, ...args);
        assert.equal(refused.code, 1);
        assert.equal(refused.stdout, "");
        assert.match(refused.stderr, expected);
        await server.waitForStderr(/reason=tls-handshake error=/);
      });
    }
  },
);

Deno.test(
  "tls: --tls-pin accepts the pinned certificate without a CA and refuses any other",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using server = await tlsServer("tcp-echo", pki.unknownCa);
    const colonless = pki.unknownCa.sha256.replaceAll(":", "").toLowerCase();
    for (const pin of [pki.unknownCa.sha256, colonless]) {
      const ok = await echoClient(server.port, "--tls-pin", pin);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "hi\n");
    }
    const mismatch = await echoClient(
      server.port,
      "--tls-pin",
      pki.good.sha256,
    );
    assert.equal(mismatch.code, 1);
    assert.equal(
      mismatch.stderr,
      `sockit: TLS to 127.0.0.1:${server.port} refused: the server's certificate is SHA256 ${pki.unknownCa.sha256}, not the --tls-pin ${pki.good.sha256}\n`,
    );
  },
);

Deno.test("tls: --tls-pin with --tls-ca checks both", NEEDS, async () => {
  await using pki = await makeTestPki();
  await using good = await tlsServer("tcp-echo", pki.good);
  const both = await echoClient(
    good.port,
    "--host",
    "localhost",
    "--tls-ca",
    pki.caFile,
    "--tls-pin",
    pki.good.sha256,
  );
  assert.equal(both.code, 0, both.stderr);
  await using unknown = await tlsServer("tcp-echo", pki.unknownCa);
  const pinnedButUntrusted = await echoClient(
    unknown.port,
    "--host",
    "localhost",
    "--tls-ca",
    pki.caFile,
    "--tls-pin",
    pki.unknownCa.sha256,
  );
  assert.equal(pinnedButUntrusted.code, 1);
  assert.match(pinnedButUntrusted.stderr, /not signed by a CA you trust/);
});

Deno.test(
  "tls: --tls-insecure connects to any certificate and prints a warning",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using server = await tlsServer("tcp-echo", pki.expired);
    const result = await echoClient(server.port, "--tls-insecure");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "hi\n");
    assert.match(
      result.stderr,
      /^sockit: warning: --tls-insecure: the server's certificate is not checked/,
    );
  },
);

Deno.test(
  "tls: streaming stdin half-closes over TLS and gets every byte back (Deno TLS and node:tls paths)",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using server = await tlsServer("tcp-echo", pki.good);
    const payload = randomPayload(3 * 1024 * 1024 + 17);
    for (
      const trust of [["--host", "localhost", "--tls-ca", pki.caFile], [
        "--tls-pin",
        pki.good.sha256,
      ]]
    ) {
      const result = await runSockit([
        "tcp-echo",
        "client",
        "--port",
        String(server.port),
        ...trust,
      ], { stdin: payload });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdoutBytes.length, payload.length);
      assert.equal(sha256(result.stdoutBytes), sha256(payload));
    }
  },
);

Deno.test(
  "tls: a plain client and garbage bytes are refused at the handshake; the server goes on serving",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using server = await tlsServer("tcp-echo", pki.good);
    const plain = await runSockit([
      "tcp-echo",
      "client",
      "--port",
      String(server.port),
      "--message",
      "hi",
      "--timeout",
      "2",
    ]);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr.trimEnd().split("\n").length, 1, plain.stderr);
    assert.match(
      plain.stderr,
      /answered in TLS: the server speaks TLS; add --tls, --tls-ca FILE or --tls-pin SHA256/,
    );
    const plainExec = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--cmd",
      "true",
    ]);
    assert.match(plainExec.stderr, /answered in TLS: the server speaks TLS/);
    const garbage = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await garbage.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    await server.waitForStderr(/reason=tls-handshake error="received corrupt/);
    garbage.close();
    const ok = await echoClient(
      server.port,
      "--host",
      "localhost",
      "--tls-ca",
      pki.caFile,
    );
    assert.equal(ok.code, 0, ok.stderr);
  },
);

Deno.test(
  "tls: a TLS client pointed at a plain server fails with one line",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    await using plainServer = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
    ]);
    const tlsToPlain = await echoClient(
      plainServer.port,
      "--tls-ca",
      pki.caFile,
      "--timeout",
      "2",
    );
    assert.equal(tlsToPlain.code, 1);
    assert.match(
      tlsToPlain.stderr,
      /^sockit: TLS to 127\.0\.0\.1:\d+ failed: /,
    );
    assert.equal(tlsToPlain.stderr.trimEnd().split("\n").length, 1);
  },
);

Deno.test(
  "tls: exec over TLS with a token runs the command; --tls-insecure with a token is refused",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    const env = { SOCKIT_TOKEN: "s3cret-token" };
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--tls-cert",
      pki.good.cert,
      "--tls-key",
      pki.good.key,
    ], env);
    assert.match(server.address, /^tls:\/\//);
    const ok = await runSockit([
      "exec",
      "client",
      "--host",
      "localhost",
      "--port",
      String(server.port),
      "--tls-ca",
      pki.caFile,
      "--",
      "echo",
      "over tls",
    ], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "over tls\n");
    const pinned = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--tls-pin",
      pki.good.sha256,
      "--cmd",
      "printf pinned",
    ], { env });
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.equal(pinned.stdout, "pinned");
    const insecure = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--tls-insecure",
      "--cmd",
      "touch /tmp/never",
    ], { env });
    assert.equal(insecure.code, 2);
    const benchInsecure = await runSockit([
      "bench",
      "exec",
      "--port",
      String(server.port),
      "--tls-insecure",
      "--duration",
      "0.2",
    ], { env });
    assert.equal(benchInsecure.code, 2);
    assert.match(benchInsecure.stderr, /--tls-insecure would send the token/);
    assert.match(
      insecure.stderr,
      /^sockit: option --tls-insecure would send the token to whoever answers: use --tls-ca or --tls-pin/,
    );
  },
);

Deno.test("tls: exec refuses a non-loopback address without TLS unless --allow-plaintext, before binding", async () => {
  const refused = await runSockit(
    ["exec", "server", "--host", "0.0.0.0", "--port", "0"],
    { env: { SOCKIT_TOKEN: "t" } },
  );
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^sockit: cannot bind "0\.0\.0\.0:0": non-loopback addresses need TLS so the token is not sent in clear; give --tls-cert and --tls-key, or --allow-plaintext \(see/,
  );
  assert.equal(refused.stdout, "", "nothing was bound");
});

Deno.test(
  "tls: option mistakes are usage errors (exit 2) with one line",
  NEEDS,
  async (t) => {
    await using pki = await makeTestPki();
    const cases: [string, string[], RegExp][] = [
      [
        "cert without key",
        ["tcp-echo", "server", "--tls-cert", pki.good.cert],
        /options --tls-cert and --tls-key go together: give both/,
      ],
      [
        "missing cert file",
        [
          "tcp-echo",
          "server",
          "--tls-cert",
          `${pki.dir}/none.pem`,
          "--tls-key",
          pki.good.key,
        ],
        /cannot read --tls-cert ".*none\.pem": /,
      ],
      [
        "cert and key swapped",
        [
          "tcp-echo",
          "server",
          "--tls-cert",
          pki.good.key,
          "--tls-key",
          pki.good.cert,
        ],
        /has no PEM certificate .*give the certificate, not the key/,
      ],
      [
        "key of another certificate",
        [
          "tcp-echo",
          "server",
          "--port",
          "0",
          "--tls-cert",
          pki.good.cert,
          "--tls-key",
          pki.expired.key,
        ],
        /cannot use --tls-cert and --tls-key: the key does not belong to the certificate/,
      ],
      [
        "TLS on a unix socket",
        [
          "exec",
          "server",
          "--unix",
          `${pki.dir}/s.sock`,
          "--tls-cert",
          pki.good.cert,
          "--tls-key",
          pki.good.key,
        ],
        /TLS works over TCP only/,
      ],
      [
        "a malformed pin",
        ["tcp-echo", "client", "--tls-pin", "abc", "--message", "x"],
        /invalid --tls-pin "abc": give the certificate's SHA-256 fingerprint/,
      ],
      [
        "insecure with a CA",
        [
          "tcp-echo",
          "client",
          "--tls-insecure",
          "--tls-ca",
          pki.caFile,
          "--message",
          "x",
        ],
        /option --tls-insecure checks nothing/,
      ],
    ];
    for (const [name, args, expected] of cases) {
      await t.step(name, async () => {
        const result = await runSockit(args);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, expected);
        assert.equal(result.stdout, "");
      });
    }
  },
);
