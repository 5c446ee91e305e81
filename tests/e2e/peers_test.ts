/**
 * `--allow-from` and `--deny-from`, tested from both sides of the rule:
 * peers on 127.0.0.1, 127.0.0.2 (the whole 127.0.0.0/8 is loopback on
 * Linux) and ::1, written as plain Python sockets that choose their source.
 */
import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { runPython } from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { makeTestPki } from "../_tls.ts";

const NEEDS = requires("linux", "python3");

/** What a TCP client from `source` gets back for "hi": the echo, or "" if closed at once. */
async function tcpFrom(source: string, host: string, port: number) {
  const out = await runPython(
    `
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(family)
s.settimeout(5)
s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], int(sys.argv[3])))
try:
    s.send(b"hi\\n")
    print(s.recv(1024).decode(), end="")
except (ConnectionResetError, BrokenPipeError):
    pass
`,
    source,
    host,
    String(port),
  );
  return new TextDecoder().decode(out.stdout);
}

/** What a UDP datagram from `source` gets back: the reply, or "timeout". */
async function udpFrom(source: string, port: number) {
  const out = await runPython(
    `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.bind((sys.argv[1], 0))
s.sendto(b"hi", ("127.0.0.1", int(sys.argv[2])))
try:
    print(s.recv(1024).decode(), end="")
except socket.timeout:
    print("timeout", end="")
`,
    source,
    String(port),
  );
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  "e2e: --deny-from closes a TCP connection from that address at once and logs it; others are served",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      ":0",
      "--deny-from",
      "127.0.0.2",
    ]);
    assert.equal(await tcpFrom("127.0.0.1", "127.0.0.1", server.port), "hi\n");
    assert.equal(await tcpFrom("127.0.0.2", "127.0.0.1", server.port), "");
    await server.waitForStderr(
      /refused peer=127\.0\.0\.2:\d+ reason=not-allowed rule="denied by --deny-from 127\.0\.0\.2"/,
    );
  },
);

Deno.test(
  "e2e: --allow-from keeps a server to its ranges, IPv4 and IPv6",
  NEEDS,
  async () => {
    await using v6 = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--host",
      "::1",
      "--port",
      "0",
      "--allow-from",
      "127.0.0.0/8",
    ]);
    assert.equal(
      await tcpFrom("::1", "::1", v6.port),
      "",
      "::1 is not in 127.0.0.0/8",
    );
    await v6.waitForStderr(/reason=not-allowed rule="not in --allow-from"/);
    await using both = await ServerProcess.start([
      "exec",
      "server",
      "--host",
      "::1",
      "--port",
      "0",
      "--allow-from",
      "::1",
    ]);
    const ok = await runSockit([
      "exec",
      "client",
      `[::1]:${both.port}`,
      "--cmd",
      "echo allowed",
    ]);
    assert.equal(ok.stdout, "allowed\n", ok.stderr);
  },
);

Deno.test(
  "e2e: --allow-from drops a UDP datagram from elsewhere, answers one from inside",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start([
      "udp-upper",
      "server",
      ":0",
      "--allow-from",
      "127.0.0.1/32",
    ]);
    assert.equal(await udpFrom("127.0.0.1", server.port), "HI");
    assert.equal(await udpFrom("127.0.0.2", server.port), "timeout");
    await server.waitForStderr(
      /dropped reason=not-allowed source=127\.0\.0\.2/,
    );
  },
);

Deno.test("e2e: a bad --allow-from is a usage error naming the form", async () => {
  const result = await runSockit([
    "tcp-echo",
    "server",
    "--allow-from",
    "10.0.0.0/33",
  ]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^sockit: invalid --allow-from "10\.0\.0\.0\/33": give an address or a CIDR range, e\.g\. 127\.0\.0\.0\/8 or ::1 \(see 'sockit tcp-echo --help'\)\n$/,
  );
});

/** What `openssl s_client` (five tries) says of a TLS server at `port`: its output. */
async function opensslSees(port: number): Promise<string> {
  let seen = "";
  for (let i = 0; i < 5; i++) {
    const out = await new Deno.Command("openssl", {
      args: ["s_client", "-connect", `127.0.0.1:${port}`, "-showcerts"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    seen += new TextDecoder().decode(out.stdout);
  }
  return seen;
}

Deno.test(
  "e2e: a TLS server turns a denied peer away before the handshake: not one byte of TLS, not the certificate",
  requires("linux", "python3", "openssl"),
  async () => {
    await using pki = await makeTestPki();
    const tls = ["--tls-cert", pki.good.cert, "--tls-key", pki.good.key];
    const deny = ["--deny-from", "127.0.0.1"];
    await using echo = await ServerProcess.start([
      "tcp-echo",
      "server",
      ":0",
      ...tls,
      ...deny,
    ]);
    await using relay = await ServerProcess.start([
      "relay",
      "server",
      ":0",
      "--to",
      `127.0.0.1:${echo.port}`,
      ...tls,
      ...deny,
    ]);
    await using exec = await ServerProcess.start([
      "exec",
      "server",
      ":0",
      ...tls,
      "--tls-client-ca",
      pki.caFile,
      ...deny,
    ]);
    for (const server of [echo, relay, exec]) {
      const seen = await opensslSees(server.port);
      assert.doesNotMatch(
        seen,
        /BEGIN CERTIFICATE|subject=|Server certificate/,
        server.readyLine,
      );
      assert.match(seen, /no peer certificate available/);
      await server.waitForStderr(
        /refused peer=127\.0\.0\.1:\d+ reason=not-allowed/,
      );
    }
    // The control: from an allowed address the same client gets the server's hello.
    await using open = await ServerProcess.start([
      "tcp-echo",
      "server",
      ":0",
      ...tls,
    ]);
    assert.match(await opensslSees(open.port), /BEGIN CERTIFICATE/);
  },
);

Deno.test(
  "e2e: a UDP server never logs or traces the bytes of a datagram it refuses",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start([
      "udp-upper",
      "server",
      ":0",
      "--deny-from",
      "127.0.0.1",
      "--trace",
    ]);
    assert.equal(await udpFrom("127.0.0.1", server.port), "timeout");
    await server.waitForStderr(
      /dropped reason=not-allowed source=127\.0\.0\.1/,
    );
    assert.deepEqual(
      server.stderrLines.filter((l) =>
        /recv datagram|^0000|datagram peer|says/.test(l)
      ),
      [],
      "no log line or trace entry with the refused datagram's bytes",
    );
  },
);
