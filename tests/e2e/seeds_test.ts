/**
 * The classic socket programs sockit grew from, written the plain way
 * (blocking sockets, `send` with no newline, one `recv(1024)`, no timeout
 * of their own), against sockit both ways. Each peer runs under
 * coreutils' `timeout`, so a hang fails the test instead of stalling it.
 */
import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { PipedProcess, runSockit, ServerProcess } from "../_sockit.ts";
import { PythonPeer } from "../_helpers.ts";

const PEERS = requires("python3", "posix");

/** Runs a seed-style Python script with `args`, killed after 10 s (exit 124). */
async function seed(script: string, ...args: string[]) {
  const output = await new Deno.Command("timeout", {
    args: ["10", "python3", "-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

/** The seeds' TCP client: send a string with no newline, print one recv(1024). */
const TCP_CLIENT = `
import socket, sys
s = socket.socket()
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(sys.argv[2].encode())
print(s.recv(1024).decode(), end="")
`;

Deno.test(
  "e2e seeds: a client that sends hello with no newline gets HELLO from --mode upper",
  PEERS,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--mode",
      "upper",
    ]);
    const out = await seed(TCP_CLIENT, String(server.port), "hello straße");
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "HELLO STRASSE");
  },
);

Deno.test(
  "e2e seeds: a client that sends hello with no newline gets olleh from --mode reverse",
  PEERS,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--mode",
      "reverse",
    ]);
    const out = await seed(TCP_CLIENT, String(server.port), "hello");
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "olleh");
  },
);

/** A seeds' server: answer each recv chunk as it comes (reversed, no newline), or greet and close. */
const TCP_SERVER = `
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
conn, _ = s.accept()
if sys.argv[1] == "goodbye":
    conn.recv(1024)
    conn.send(b"Goodbye, client!")
    conn.close()
else:
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.send(data[::-1])
`;

/** Starts the seeds' server: `goodbye` (greets and closes) or `reverse` (each chunk reversed). */
function seedServer(kind: "goodbye" | "reverse") {
  return PythonPeer.start(TCP_SERVER.replace("sys.argv[1]", `"${kind}"`));
}

Deno.test(
  "e2e seeds: the client prints a reply with no newline when the server closes after it",
  PEERS,
  async () => {
    const { peer, port } = await seedServer("goodbye");
    await using _peer = peer;
    const result = await runSockit([
      "tcp-echo",
      "client",
      "--port",
      port,
      "--message",
      "hi",
      "--expect",
      "Goodbye, client!",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "Goodbye, client!\n");
  },
);

Deno.test(
  "e2e seeds: --no-newline sends hello as it is and takes olleh as the reply",
  PEERS,
  async () => {
    const { peer, port } = await seedServer("reverse");
    await using _peer = peer;
    const result = await runSockit([
      "tcp-echo",
      "client",
      "-p",
      port,
      "-n",
      "-m",
      "hello",
      "-e",
      "olleh",
      "-t",
      "0.5",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "olleh\n");
  },
);

Deno.test(
  "e2e seeds: a mismatched reply with no newline shows what arrived",
  PEERS,
  async () => {
    const { peer, port } = await seedServer("goodbye");
    await using _peer = peer;
    const result = await runSockit([
      "tcp-echo",
      "client",
      "--port",
      port,
      "--message",
      "hi",
      "--expect",
      "Goodbye!",
    ]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "Goodbye, client!\n");
    assert.equal(
      result.stderr,
      'sockit: reply 1 differs from --expect: expected "Goodbye!", got "Goodbye, client!"\n',
    );
  },
);

Deno.test(
  "e2e seeds: a raw-text UDP chat client gets an answer from sockit's chat server",
  PEERS,
  async () => {
    await using server = new PipedProcess(["chat", "server", "--port", "0"]);
    const ready = await server.waitForLine(/^sockit chat listening on /);
    const port = ready.match(/:(\d+)$/)![1]!;
    const client = seed(
      `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello from the seeds", ("127.0.0.1", int(sys.argv[1])))
data, _ = s.recvfrom(1024)
print(data.decode(), end="")
`,
      port,
    );
    const line = await server.waitForLine(
      /^127\.0\.0\.1:\d+: hello from the seeds$/,
    );
    assert.ok(line);
    await server.type("hi, raw client");
    const out = await client;
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stdout,
      "hi, raw client",
      "answered in raw text, not JSON",
    );
    await server.type("quit");
  },
);

Deno.test(
  "e2e seeds: sockit's chat client shows a raw-text server's reply",
  PEERS,
  async () => {
    const { peer, port } = await PythonPeer.start(`
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(1024)
s.sendto(b"raw reply to " + data[:5], addr)
`);
    await using _peer = peer;
    await using client = new PipedProcess([
      "chat",
      "client",
      "--port",
      port,
      "--name",
      "alice",
    ]);
    await client.type("hello");
    await client.waitForLine(/^server: raw reply to \{"typ$/);
    await client.type("quit");
  },
);

Deno.test(
  "e2e seeds: the framed exec client against a seeds' server hints at --legacy",
  PEERS,
  async () => {
    const { peer, port } = await PythonPeer.start(`
import socket, subprocess
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
conn, _ = s.accept()
cmd = conn.recv(1024)
conn.close()
`);
    await using _peer = peer;
    const result = await runSockit([
      "exec",
      "client",
      "--port",
      port,
      "--cmd",
      "true",
    ]);
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /closed the connection before sending a reply; if it is a seeds' server \(a raw command, no frame\), add --legacy/,
    );
  },
);
