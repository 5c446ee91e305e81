import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { PythonPeer, runPython, withTimeout } from "../_helpers.ts";
import { PipedProcess, runSockit, ServerProcess } from "../_sockit.ts";

const decoder = new TextDecoder();

Deno.test(
  "e2e: udp-upper server on port 0 and client --message --expect",
  requires("posix"),
  async () => {
    await using server = await ServerProcess.start([
      "udp-upper",
      "server",
      "--port",
      "0",
    ]);
    assert.match(server.address, /^udp:\/\/127\.0\.0\.1:\d+$/);
    const ok = await runSockit([
      "udp-upper",
      "client",
      "--port",
      String(server.port),
      "--message",
      "hello",
      "--expect",
      "HELLO",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "HELLO\n");
    const bad = await runSockit([
      "udp-upper",
      "client",
      "--port",
      String(server.port),
      "--message",
      "hi",
      "--expect",
      "hi",
    ]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      'sockit: reply 1 differs from --expect: expected "hi", got "HI"\n',
    );
    await server.waitForStderr(
      /udp-upper client 127\.0\.0\.1:\d+ says 'hello'$/,
    );
    assert.equal((await server.stop("SIGTERM")).code, 0);
  },
);

Deno.test("e2e: no reply after --retries exits 1 with one clear line", async () => {
  await using silent = new UdpSilentPort();
  const result = await runSockit([
    "udp-upper",
    "client",
    "--port",
    String(silent.port),
    "--message",
    "anyone?",
    "--timeout",
    "0.05",
    "--retries",
    "2",
  ]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^sockit: no reply from udp://127\\.0\\.0\\.1:${silent.port} after 3 tries`,
    ),
  );
  assert.equal(result.stderr.trimEnd().split("\n").length, 1);
});

Deno.test("e2e: udp-upper usage errors exit 2", async () => {
  for (
    const args of [
      ["udp-upper", "client", "--retries", "11"],
      ["chat", "client", "--name", "a", "--unix", "/tmp/x"], // The chat speaks UDP only.
      ["udp-upper", "server", "--rate", "-1"],
      ["chat", "client"],
      ["chat", "client", "--name", ""],
    ]
  ) {
    const result = await runSockit(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(
      result.stderr,
      /^sockit: .*\(see 'sockit (udp-upper|chat) --help'\)\n$/,
    );
  }
});

Deno.test(
  "e2e: socat and a Python 3 socket client talk to the udp-upper server",
  requires("socat", "python3"),
  async () => {
    await using server = await ServerProcess.start([
      "udp-upper",
      "server",
      "--port",
      "0",
      "--host",
      "::1",
    ]);
    assert.match(server.address, /^udp:\/\/\[::1\]:\d+$/);
    const socat = new Deno.Command("socat", {
      args: ["-t", "1", "-", `UDP6:[::1]:${server.port}`],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = socat.stdin.getWriter();
    await writer.write(new TextEncoder().encode("from socat"));
    await writer.close();
    const socatOut = await withTimeout(socat.output(), 10_000, "socat");
    assert.equal(decoder.decode(socatOut.stdout), "FROM SOCAT");

    const script = `
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto("python straße".encode(), ("::1", int(sys.argv[1])))
data, addr = s.recvfrom(65535)
sys.stdout.write(data.decode())
`;
    const py = await runPython(script, String(server.port));
    assert.equal(py.code, 0, decoder.decode(py.stderr));
    assert.equal(decoder.decode(py.stdout), "PYTHON STRASSE");
  },
);

Deno.test(
  "e2e: the client works against a Python 3 uppercase server written the seeds' way",
  requires("python3"),
  async () => {
    const script = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
for _ in range(2):
    data, addr = s.recvfrom(1024)
    s.sendto(data.decode().upper().encode(), addr)
`;
    const { peer, port } = await PythonPeer.start(script);
    await using _peer = peer;
    const result = await runSockit([
      "udp-upper",
      "client",
      "--port",
      port,
      "--message",
      "sally",
      "--message",
      "straße",
      "--expect",
      "SALLY",
      "--expect",
      "STRASSE",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "SALLY\nSTRASSE\n");
    assert.equal(
      (await withTimeout(peer.child.status, 10_000, "the Python server")).code,
      0,
    );
  },
);

Deno.test("e2e: chat between two processes driven by pipes, both ways, quit ends both", async () => {
  const server = new PipedProcess(["chat", "server", "--port", "0"]);
  await using _server = server;
  const ready = await server.waitForLine(
    /^sockit chat listening on udp:\/\/127\.0\.0\.1:\d+$/,
  );
  const port = ready.match(/:(\d+)$/)![1]!;
  const client = new PipedProcess([
    "chat",
    "client",
    "--port",
    port,
    "--name",
    "alice",
  ]);
  await using _client = client;
  await client.type("hello server");
  await server.waitForLine(/^alice@127\.0\.0\.1:\d+: hello server$/);
  await server.type("hi alice");
  await client.waitForLine(/^server: hi alice$/);
  await client.type("bye for now");
  await server.waitForLine(/^alice@127\.0\.0\.1:\d+: bye for now$/);
  await server.type("quit");
  await client.waitForLine(/^server ended the chat$/);
  assert.equal(
    (await withTimeout(server.child.status, 10_000, "the chat server")).code,
    0,
  );
  assert.equal(
    (await withTimeout(client.child.status, 10_000, "the chat client")).code,
    0,
  );
});

Deno.test("e2e: a chat client's quit ends it and the server sees it leave", async () => {
  const server = new PipedProcess(["chat", "server", "--port", "0"]);
  await using _server = server;
  const port = (await server.waitForLine(/listening on/)).match(/:(\d+)$/)![1]!;
  const client = new PipedProcess([
    "chat",
    "client",
    "--port",
    port,
    "--name",
    "bob",
  ]);
  await using _client = client;
  await client.type("hey");
  await server.waitForLine(/^bob@.*: hey$/);
  await client.type("quit");
  assert.equal(
    (await withTimeout(client.child.status, 10_000, "the chat client")).code,
    0,
  );
  await server.waitForLine(/^bob@127\.0\.0\.1:\d+ left$/);
  await server.closeStdin(); // Ctrl-D
  assert.equal(
    (await withTimeout(server.child.status, 10_000, "the chat server")).code,
    0,
  );
});

/** A UDP port on loopback that never answers. */
class UdpSilentPort implements AsyncDisposable {
  readonly socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  get port() {
    return (this.socket.addr as Deno.NetAddr).port;
  }
  [Symbol.asyncDispose]() {
    this.socket.close();
    return Promise.resolve();
  }
}

Deno.test("e2e: the chat operator's /to NAME picks a client, /to goes back to the last writer", async () => {
  const server = new PipedProcess(["chat", "server", "--port", "0"]);
  await using _server = server;
  const port = (await server.waitForLine(/listening on/)).match(/:(\d+)$/)![1]!;
  const alice = new PipedProcess([
    "chat",
    "client",
    "--port",
    port,
    "--name",
    "alice",
  ]);
  await using _alice = alice;
  const bob = new PipedProcess([
    "chat",
    "client",
    "--port",
    port,
    "--name",
    "bob",
  ]);
  await using _bob = bob;
  await alice.type("from alice");
  await server.waitForLine(/^alice@.*: from alice$/);
  await bob.type("from bob");
  await server.waitForLine(/^bob@.*: from bob$/);
  await server.type("/to alice");
  await server.type("only for alice");
  await alice.waitForLine(/^server: only for alice$/);
  await server.type("/to");
  await server.type("for the last writer");
  await bob.waitForLine(/^server: for the last writer$/);
  // Datagrams from one socket to another arrive in order on loopback: had "only for alice"
  // gone to bob, bob would have printed it before this line.
  assert.ok(
    !bob.lines.includes("server: only for alice"),
    JSON.stringify(bob.lines),
  );
  assert.ok(
    !alice.lines.includes("server: for the last writer"),
    JSON.stringify(alice.lines),
  );
  await server.type("quit");
  await alice.waitForLine(/^server ended the chat$/);
  await bob.waitForLine(/^server ended the chat$/);
});

Deno.test("e2e: the chat operator's /to NAME for a name nobody has used says so at once", async () => {
  await using server = new PipedProcess(["chat", "server", "--port", "0"]);
  await server.waitForLine(/^sockit chat listening on /);
  await server.type("/to bob");
  await server.waitForErrorLine(
    /^sockit: no client named "bob" has written yet; lines go to it once it does$/,
  );
  await server.type("quit");
});

Deno.test(
  "e2e: udp-upper over a unix datagram socket: sockit's client and a Python SOCK_DGRAM peer, stale file replaced, live one refused, removed at exit",
  requires("linux", "python3"),
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/upper.sock`;
      // A stale socket file: bound once, its owner gone.
      Deno.listenDatagram({ transport: "unixpacket", path }).close();
      await using server = await ServerProcess.start([
        "udp-upper",
        "server",
        `unix:${path}`,
        "--grace",
        "1",
      ]);
      assert.equal(server.address, `unix:${path}`);
      const ours = await runSockit([
        "udp-upper",
        "client",
        `unix:${path}`,
        "-m",
        "hello",
        "-e",
        "HELLO",
      ]);
      assert.equal(ours.code, 0, ours.stderr);
      const theirs = await runPython(
        `
import socket, sys, tempfile
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.bind(tempfile.mkdtemp() + "/c")
c.settimeout(5)
c.sendto(b"from python", sys.argv[1])
print(c.recv(1024).decode(), end="")
`,
        path,
      );
      assert.equal(new TextDecoder().decode(theirs.stdout), "FROM PYTHON");
      const second = await runSockit(["udp-upper", "server", `unix:${path}`]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /another server is listening there/);
      assert.equal((await server.stop()).code, 0);
      await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("e2e: a chat client whose server is not there says so and exits 1", async () => {
  const closed = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const result = await runSockit(
    ["chat", "client", "--port", String(port), "--name", "bob"],
    { stdin: "hello\nquit\n" },
  );
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `sockit: udp://127.0.0.1:${port} never answered: is the chat server up there?\n`,
  );
});
