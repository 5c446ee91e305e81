import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { issueClientCert, makeTestPki, type TestPki } from "../_tls.ts";

const NEEDS = requires("openssl");

/** An exec server with TLS that lets in only clients the test CA signed, running echo. */
function startMtlsExec(pki: TestPki): Promise<ServerProcess> {
  return ServerProcess.start([
    "exec",
    "server",
    ":0",
    "--tls-cert",
    pki.good.cert,
    "--tls-key",
    pki.good.key,
    "--tls-client-ca",
    pki.caFile,
    "--allow",
    "echo",
  ]);
}

Deno.test(
  "mtls: exec --tls-client-ca lets in a client with a certificate its CA signed, names it in the log, and turns away the rest",
  NEEDS,
  async () => {
    await using pki = await makeTestPki();
    const alice = await issueClientCert(pki, "alice", "ca");
    const stranger = await issueClientCert(pki, "stranger", "other-ca");
    await using server = await startMtlsExec(pki);
    assert.match(server.address, /^tls:\/\//);
    const client = (...extra: string[]) =>
      runSockit([
        "exec",
        "client",
        "--host",
        "localhost",
        "--port",
        String(server.port),
        "--tls-ca",
        pki.caFile,
        ...extra,
        "--",
        "echo",
        "hello",
      ]);

    const ok = await client("--tls-cert", alice.cert, "--tls-key", alice.key);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "hello\n");
    await server.waitForStderr(
      / exec peer=127\.0\.0\.1:\d+ client_cert="CN=alice" cmd="echo hello"/,
    );

    const none = await client();
    assert.equal(none.code, 255);
    assert.match(
      none.stderr,
      /wants a client certificate: give --tls-cert and --tls-key/,
    );
    await server.waitForStderr(
      /refused peer=127\.0\.0\.1:\d+ reason=tls-client-cert error="the client sent no certificate/,
    );

    const other = await client(
      "--tls-cert",
      stranger.cert,
      "--tls-key",
      stranger.key,
    );
    assert.equal(other.code, 255);
    assert.match(other.stderr, /may not accept your client certificate/);
    assert.equal(
      server.stderrLines.filter((l) => / exec peer=/.test(l)).length,
      1,
      "only alice's command ran",
    );
  },
);

Deno.test(
  "mtls: a Python ssl client with the CA-signed certificate is served, as any TLS client would be",
  requires("openssl", "python3"),
  async () => {
    await using pki = await makeTestPki();
    const alice = await issueClientCert(pki, "alice", "ca");
    await using server = await startMtlsExec(pki);
    const out = await new Deno.Command("timeout", {
      args: [
        "15",
        "python3",
        "-c",
        `
import json, socket, ssl, struct
ctx = ssl.create_default_context(cafile=${JSON.stringify(pki.caFile)})
ctx.load_cert_chain(${JSON.stringify(alice.cert)}, ${JSON.stringify(alice.key)})
with ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${server.port})), server_hostname="localhost") as s:
    header = json.dumps({"cmd": "echo from python"}).encode()
    s.sendall(struct.pack("<I", len(header)) + header)
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk: raise EOFError
            data += chunk
        return data
    n = struct.unpack("<I", exactly(4))[0]
    reply = json.loads(exactly(n))
    body = exactly(reply["total_size"])
    print(reply["exit_code"], body.decode().strip())
`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    assert.equal(out.code, 0, text.decode(out.stderr));
    assert.equal(text.decode(out.stdout).trim(), "0 from python");
  },
);

Deno.test(
  "mtls: --tls-client-ca needs TLS, and a file with a certificate",
  NEEDS,
  async () => {
    const alone = await runSockit([
      "exec",
      "server",
      ":0",
      "--tls-client-ca",
      "/etc/hostname",
    ]);
    assert.equal(alone.code, 2);
    assert.match(
      alone.stderr,
      /--tls-client-ca needs TLS: give --tls-cert and --tls-key/,
    );
    await using pki = await makeTestPki();
    const notCa = await runSockit([
      "exec",
      "server",
      ":0",
      "--tls-cert",
      pki.good.cert,
      "--tls-key",
      pki.good.key,
      "--tls-client-ca",
      pki.good.key,
    ]);
    assert.equal(notCa.code, 2);
    assert.match(
      notCa.stderr,
      /The --tls-client-ca ".*" has no PEM certificate/i,
    );
  },
);
