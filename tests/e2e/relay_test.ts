import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { requires } from "../_platform.ts";
import {
  PythonPeer,
  randomPayload,
  readExactly,
  readToEnd,
  withTimeout,
} from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { makeTestPki } from "../_tls.ts";
import { writeAll } from "../../lib/io/streams.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function startRelay(to: number | string, ...args: string[]) {
  const target = typeof to === "number" ? `127.0.0.1:${to}` : to;
  return ServerProcess.start([
    "relay",
    "server",
    ":0",
    "--to",
    target,
    ...args,
  ]);
}

/** sockit's echo server behind a relay with `args`; both stopped on disposal. */
async function echoBehindRelay(...args: string[]) {
  const echo = await ServerProcess.start(["tcp-echo", "server", ":0"]);
  try {
    const relay = await startRelay(echo.port, ...args);
    return {
      echo,
      relay,
      async [Symbol.asyncDispose]() {
        await relay[Symbol.asyncDispose]();
        await echo[Symbol.asyncDispose]();
      },
    };
  } catch (err) {
    await echo[Symbol.asyncDispose]();
    throw err;
  }
}

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** A sink in this process: counts and hashes what each connection sends. */
function hashingSink() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: Promise<{ bytes: number; sha256: string; at: number }>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      received.push((async () => {
        const hash = createHash("sha256");
        const buffer = new Uint8Array(256 * 1024);
        let bytes = 0;
        for (let n; (n = await conn.read(buffer)) !== null;) {
          hash.update(buffer.subarray(0, n));
          bytes += n;
        }
        conn.close();
        return { bytes, sha256: hash.digest("hex"), at: performance.now() };
      })());
    }
  })();
  return {
    port: listener.addr.port,
    next: async (i: number) => {
      while (received.length <= i) await new Promise((r) => setTimeout(r, 5));
      return await received[i]!;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
    },
  };
}

Deno.test("e2e: relay carries 100 MB byte for byte, at no less than 0.8 of the direct throughput (best of 5)", async () => {
  await using sink = hashingSink();
  await using relay = await startRelay(sink.port, "--quiet");
  const block = randomPayload(1024 * 1024);
  const total = 100;
  const want = createHash("sha256");
  for (let i = 0; i < total; i++) want.update(block);
  const wantSha = want.digest("hex");
  let index = 0;
  const send = async (port: number) => {
    const started = performance.now();
    const conn = await connect(port);
    for (let i = 0; i < total; i++) await writeAll(conn, block);
    await conn.closeWrite();
    const got = await sink.next(index++);
    conn.close();
    assert.equal(got.bytes, total * block.length);
    assert.equal(got.sha256, wantSha);
    return got.at - started;
  };
  const direct: number[] = [];
  const relayed: number[] = [];
  // Five rounds, the best of each: on 2 cores one busy moment otherwise
  // decides (idle, the ratio is 0.84-1.0 here; 0.77 once in CI after the soak).
  for (let round = 0; round < 5; round++) {
    direct.push(await send(sink.port));
    relayed.push(await send(relay.port));
  }
  const ratio = Math.min(...direct) / Math.min(...relayed);
  assert.ok(
    ratio >= 0.8,
    `relayed throughput is ${ratio.toFixed(2)} of direct (direct ${
      direct.map(Math.round)
    } ms, relayed ${relayed.map(Math.round)} ms)`,
  );
});

Deno.test(
  "e2e: relay carries a half-close each way: a server that answers after the client's end of input still gets its answer through",
  requires("python3"),
  async () => {
    const { peer, port } = await PythonPeer.start(`
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
data = b""
while True:
    chunk = c.recv(1024)
    if not chunk: break
    data += chunk
c.sendall(b"got %d bytes" % len(data))
c.close()
`);
    await using _peer = peer;
    await using relay = await startRelay(Number(port), "--chunk", "3");
    using conn = await connect(relay.port);
    await writeAll(conn, encode("hello, half-close"));
    await conn.closeWrite();
    assert.equal(decode(await readToEnd(conn)), "got 17 bytes");
    await relay.waitForStderr(/ relayed .*up_bytes=17 down_bytes=12 .*end=eof/);
  },
);

Deno.test(
  "e2e: relay --chunk 1 hands a plain one-recv peer one byte; sockit's echo client copes, reading to its newline",
  requires("python3"),
  async () => {
    await using pair = await echoBehindRelay(
      "--chunk",
      "1",
      "--delay",
      "20",
      "--faults",
      "downstream",
    );
    const { relay } = pair;
    const { stdout } = await runPython(`
import socket
s = socket.create_connection(("127.0.0.1", ${relay.port}))
s.send(b"hello")
print(s.recv(1024))
`);
    assert.equal(stdout.trim(), "b'h'", "the first byte arrives alone");
    const client = await runSockit([
      "tcp-echo",
      "client",
      `:${relay.port}`,
      "-m",
      "one byte at a time",
      "-e",
      "one byte at a time",
    ]);
    assert.equal(client.code, 0, client.stderr);
  },
);

async function runPython(script: string) {
  const out = await new Deno.Command("timeout", {
    args: ["10", "python3", "-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

Deno.test("e2e: the exec client works through --chunk 1 --delay 1: its length header frames each message", async () => {
  await using exec = await ServerProcess.start([
    "exec",
    "server",
    ":0",
    "--allow",
    "cat",
  ]);
  await using relay = await startRelay(
    exec.port,
    "--chunk",
    "1-3",
    "--delay",
    "1",
    "--seed",
    "3",
  );
  const result = await runSockit(
    ["exec", "client", `:${relay.port}`, "--stdin", "--", "cat"],
    { stdin: "framed despite the pieces\n" },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "framed despite the pieces\n");
  await relay.waitForStderr(/ relayed .*end=eof/);
});

Deno.test("e2e: relay --coalesce 50 joins two writes 10 ms apart into one read at the far end", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await using relay = await startRelay(
      listener.addr.port,
      "--coalesce",
      "50",
    );
    using client = await connect(relay.port);
    using far = await listener.accept();
    await writeAll(client, encode("first\n"));
    await new Promise((r) => setTimeout(r, 10)); // Two writes, not one.
    await writeAll(client, encode("second\n"));
    const buffer = new Uint8Array(1024);
    const n = await far.read(buffer);
    assert.equal(decode(buffer.subarray(0, n!)), "first\nsecond\n");
  } finally {
    listener.close();
  }
});

Deno.test("e2e: relay --delay holds each chunk at least that long", async () => {
  await using pair = await echoBehindRelay(
    "--delay",
    "150",
    "--faults",
    "upstream",
  );
  const { relay } = pair;
  using conn = await connect(relay.port);
  const started = performance.now();
  await writeAll(conn, encode("ping\n"));
  await readExactly(conn, 5);
  assert.ok(performance.now() - started >= 150);
});

Deno.test("e2e: relay --rate paces the bytes: 60 KiB at 60 KiB/s take close to a second", async () => {
  await using sink = hashingSink();
  await using relay = await startRelay(sink.port, "--rate", "60KiB/s");
  using conn = await connect(relay.port);
  const started = performance.now();
  await writeAll(conn, new Uint8Array(60 * 1024));
  await conn.closeWrite();
  const got = await sink.next(0);
  assert.equal(got.bytes, 60 * 1024);
  assert.ok(got.at - started >= 900, `${got.at - started} ms`);
});

Deno.test("e2e: relay --cut-after closes both ends cleanly after exactly that many bytes", async () => {
  await using pair = await echoBehindRelay(
    "--cut-after",
    "10",
    "--faults",
    "downstream",
  );
  const { relay } = pair;
  {
    using conn = await connect(relay.port);
    await writeAll(conn, encode("0123456789abcdefghij\n"));
    assert.equal(decode(await readToEnd(conn)), "0123456789");
  }
  await relay.waitForStderr(/ relayed .*down_bytes=10 .*end=cut-after/);
});

Deno.test(
  "e2e: relay --cut-after logs end=cut-after when the ends stay open past the linger (a target that ignores its end of stream)",
  requires("python3"),
  async () => {
    const { peer: target, port } = await PythonPeer.start(`
import socket, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
time.sleep(30)
`);
    await using _target = target;
    await using relay = await startRelay(Number(port), "--cut-after", "10");
    using conn = await connect(relay.port);
    await writeAll(conn, encode("0123456789abcdef"));
    // Neither end closes: the relay closes both at the linger's end.
    const line = await relay.waitForStderr(/ relayed /, 10_000);
    assert.match(line, /up_bytes=10 .*end=cut-after$/);
  },
);

Deno.test("e2e: relay --reset-after resets the client: its read fails with connection reset", async () => {
  await using pair = await echoBehindRelay(
    "--reset-after",
    "4",
    "--faults",
    "downstream",
  );
  const { relay } = pair;
  using conn = await connect(relay.port);
  await writeAll(conn, encode("abcdefgh\n"));
  const got: number[] = [];
  const error = await (async () => {
    const buffer = new Uint8Array(64);
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        got.push(...buffer.subarray(0, n));
      }
      return null;
    } catch (err) {
      return err;
    }
  })();
  assert.ok(error instanceof Deno.errors.ConnectionReset, String(error));
  assert.ok(got.length <= 4);
  await relay.waitForStderr(/ relayed .*end=reset-after/);
});

Deno.test("e2e: relay --stall-after forwards nothing more yet keeps the connection open", async () => {
  await using pair = await echoBehindRelay(
    "--stall-after",
    "5",
    "--faults",
    "upstream",
  );
  const { relay } = pair;
  using conn = await connect(relay.port);
  await writeAll(conn, encode("hello world\n"));
  assert.equal(decode(await readExactly(conn, 5)), "hello");
  const more = conn.read(new Uint8Array(64));
  const outcome = await Promise.race([
    more.then((n) => `read ${n}`),
    new Promise((r) => setTimeout(() => r("still open"), 300)),
  ]);
  assert.equal(outcome, "still open");
  conn.close();
  await more.catch(() => {});
  await relay.waitForStderr(
    / relayed .*up_bytes=5 .*dropped_bytes=7 .*end=stall-after/,
  );
});

Deno.test("e2e: relay --refuse 2 closes the first two connections at once; the third is relayed", async () => {
  await using pair = await echoBehindRelay("--refuse", "2");
  const { relay } = pair;
  for (let i = 0; i < 2; i++) {
    using conn = await connect(relay.port);
    assert.equal((await readToEnd(conn)).length, 0);
  }
  const client = await runSockit([
    "tcp-echo",
    "client",
    `:${relay.port}`,
    "-m",
    "third",
    "-e",
    "third",
  ]);
  assert.equal(client.code, 0, client.stderr);
  assert.equal(
    relay.stderrLines.filter((l) => / refused .*reason=refuse/.test(l)).length,
    2,
  );
});

Deno.test("e2e: a slow reader behind the relay slows the writer: what the writer gets in stays bounded", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await using relay = await startRelay(listener.addr.port, "--quiet");
    using conn = await connect(relay.port);
    using _stuck = await listener.accept(); // Never read.
    const block = new Uint8Array(1024 * 1024);
    let sent = 0;
    while (sent < 256 * 1024 * 1024) {
      const wrote = await Promise.race([
        writeAll(conn, block).then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 1000)),
      ]);
      if (!wrote) break;
      sent += block.length;
    }
    assert.ok(
      sent < 64 * 1024 * 1024,
      `${sent} bytes went in before the writer blocked`,
    );
    conn.close();
  } finally {
    listener.close();
  }
});

Deno.test(
  "e2e: relay works unix socket to unix socket",
  requires("posix"),
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using echo = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--unix",
        `${dir}/echo.sock`,
      ]);
      await using relay = await ServerProcess.start([
        "relay",
        "server",
        `unix:${dir}/relay.sock`,
        "--to",
        `unix:${dir}/echo.sock`,
        "--chunk",
        "2",
      ]);
      assert.equal(relay.address, `unix:${dir}/relay.sock`);
      const client = await runSockit([
        "tcp-echo",
        "client",
        "--unix",
        `${dir}/relay.sock`,
        "-m",
        "unix",
        "-e",
        "unix",
      ]);
      assert.equal(client.code, 0, client.stderr);
      await echo.stop();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("e2e: relay --trace shows the client's side and the target's side", async () => {
  await using pair = await echoBehindRelay("--trace", "--coalesce", "20");
  const { echo, relay } = pair;
  const client = await runSockit([
    "tcp-echo",
    "client",
    `:${relay.port}`,
    "-m",
    "seen",
  ]);
  assert.equal(client.code, 0, client.stderr);
  await relay.waitForStderr(/ relayed /);
  const heads = relay.stderrLines.filter((l) => /^\+\d/.test(l));
  assert.ok(
    heads.some((l) => /#1 127\.0\.0\.1:\d+ recv 5 bytes$/.test(l)),
    heads.join("\n"),
  );
  assert.ok(
    heads.some((l) =>
      new RegExp(`#2 tcp://127\\.0\\.0\\.1:${echo.port} send 5 bytes$`).test(l)
    ),
    heads.join("\n"),
  );
});

Deno.test("e2e: relay takes only options that make sense, each refusal one line with exit 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["relay", "server", ":0"], /--to is required/],
    [
      ["relay", "server", ":0", "--to", "127.0.0.1:1", "--chunk", "0"],
      /--chunk.*use a byte count or a range/,
    ],
    [
      ["relay", "server", ":0", "--to", "127.0.0.1:1", "--loss", "30%"],
      /--loss is for datagrams: add --udp/,
    ],
    [
      ["relay", "server", ":0", "--to", "127.0.0.1:1", "--udp", "--chunk", "1"],
      /--chunk is for TCP/,
    ],
    [
      ["relay", "server", ":0", "--to", "127.0.0.1:1", "--delay", "10+-20"],
      /jitter no larger/,
    ],
    [
      ["relay", "server", ":0", "--to", "127.0.0.1:1", "--rate", "fast"],
      /bytes a second/,
    ],
    [["relay", "server", ":0", "--to", "nowhere"], /--to|port/i],
    [
      ["relay", "server", ":0", "--to", "unix:/tmp/x", "--to-tls"],
      /TLS works over TCP only/,
    ],
  ];
  for (const [args, want] of cases) {
    const result = await runSockit(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, want, args.join(" "));
    assert.equal(
      result.stderr.trim().split("\n").length <= 2,
      true,
      result.stderr,
    );
  }
});

Deno.test("e2e: a relay whose target is down closes each client and stays up", async () => {
  const unused = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = unused.addr.port;
  unused.close();
  await using relay = await startRelay(port);
  for (let i = 0; i < 2; i++) {
    using conn = await connect(relay.port);
    assert.equal((await readToEnd(conn)).length, 0);
  }
  await relay.waitForStderr(
    /Cannot connect to tcp:\/\/127\.0\.0\.1:\d+: connection refused/,
  );
  assert.equal(
    await withTimeout(
      Promise.race([
        relay.child.status.then(() => "exited"),
        new Promise((r) => setTimeout(() => r("up"), 100)),
      ]),
      5000,
      "relay",
    ),
    "up",
  );
});

async function udpExchange(
  port: number,
  messages: string[],
  replies: number,
): Promise<string[]> {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    for (const message of messages) {
      await socket.send(encode(message), {
        transport: "udp",
        hostname: "127.0.0.1",
        port,
      });
    }
    const got: string[] = [];
    while (got.length < replies) {
      const [data] = await withTimeout(socket.receive(), 5000, "a reply");
      got.push(decode(data));
    }
    return got;
  } finally {
    socket.close();
  }
}

Deno.test("e2e: udp-upper's client gets every answer through a relay losing 30% each way, by resending", async () => {
  await using upper = await ServerProcess.start(["udp-upper", "server", ":0"]);
  await using relay = await ServerProcess.start([
    "relay",
    "server",
    "--udp",
    ":0",
    "--to",
    `127.0.0.1:${upper.port}`,
    "--loss",
    "30%",
    "--seed",
    "7",
  ]);
  assert.match(relay.address, /^udp:\/\//);
  const messages = Array.from({ length: 10 }, (_, i) => `message ${i}`);
  const client = await runSockit([
    "udp-upper",
    "client",
    `:${relay.port}`,
    "--timeout",
    "0.05",
    "--retries",
    "10",
    "--verbose",
    ...messages.flatMap((m) => ["-m", m, "-e", m.toUpperCase()]),
  ]);
  assert.equal(client.code, 0, client.stderr);
  assert.match(client.stderr, /resend|retr/i, "some were lost and sent again");
  await relay.stop();
  const close = relay.stderrLines.find((l) =>
    / close .*reason=shutdown/.test(l)
  );
  assert.match(close!, /dropped=[1-9]/);
});

Deno.test("e2e: relay --udp --duplicate 1 sends each datagram twice; --reorder 1 swaps two", async () => {
  await using upper = await ServerProcess.start([
    "udp-upper",
    "server",
    ":0",
    "--rate",
    "0",
  ]);
  await using dup = await ServerProcess.start([
    "relay",
    "server",
    "--udp",
    ":0",
    "--to",
    `127.0.0.1:${upper.port}`,
    "--duplicate",
    "1",
    "--faults",
    "upstream",
  ]);
  assert.deepEqual(await udpExchange(dup.port, ["twice"], 2), [
    "TWICE",
    "TWICE",
  ]);
  await using swap = await ServerProcess.start([
    "relay",
    "server",
    "--udp",
    ":0",
    "--to",
    `127.0.0.1:${upper.port}`,
    "--reorder",
    "1",
    "--faults",
    "upstream",
  ]);
  assert.deepEqual(await udpExchange(swap.port, ["first", "second"], 2), [
    "SECOND",
    "FIRST",
  ]);
});

Deno.test("e2e: relay --udp forgets an idle client and bounds its table with --max-conns", async () => {
  await using upper = await ServerProcess.start(["udp-upper", "server", ":0"]);
  await using relay = await ServerProcess.start([
    "relay",
    "server",
    "--udp",
    ":0",
    "--to",
    `127.0.0.1:${upper.port}`,
    "--max-conns",
    "1",
    "--idle-timeout",
    "0.3",
  ]);
  assert.deepEqual(await udpExchange(relay.port, ["one"], 1), ["ONE"]);
  const other = udpExchange(relay.port, ["not now"], 0); // Sent while "one" is still there.
  await other;
  await relay.waitForStderr(/ refused .*reason=max-conns max_conns=1/);
  await relay.waitForStderr(/ close .*reason=idle-timeout/);
  assert.deepEqual(await udpExchange(relay.port, ["two"], 1), ["TWO"]);
});

Deno.test(
  "e2e: relay serves TLS to its clients and speaks TLS to a TLS target with --to-tls",
  requires("openssl"),
  async () => {
    await using pki = await makeTestPki();
    const cert = ["--tls-cert", pki.good.cert, "--tls-key", pki.good.key];
    await using echo = await ServerProcess.start([
      "tcp-echo",
      "server",
      ":0",
      ...cert,
    ]);
    await using relay = await ServerProcess.start([
      "relay",
      "server",
      ":0",
      ...cert,
      "--to",
      `localhost:${echo.port}`,
      "--to-tls",
      "--tls-ca",
      pki.caFile,
      "--chunk",
      "2",
    ]);
    assert.match(relay.address, /^tls:\/\//);
    const client = await runSockit([
      "tcp-echo",
      "client",
      "--host",
      "localhost",
      "--port",
      String(relay.port),
      "--tls-ca",
      pki.caFile,
      "-m",
      "private",
      "-e",
      "private",
    ]);
    assert.equal(client.code, 0, client.stderr);
    const reset = await runSockit([
      "relay",
      "server",
      ":0",
      ...cert,
      "--to",
      "127.0.0.1:1",
      "--reset-after",
      "1",
    ]);
    assert.equal(reset.code, 2);
    assert.match(
      reset.stderr,
      /--reset-after works on plain TCP and unix only/,
    );
  },
);

Deno.test(
  "e2e: relay --reset-after upstream resets the target's connection: a Python server sees connection reset",
  requires("python3"),
  async () => {
    const { peer, port } = await PythonPeer.start(`
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
got = b""
try:
    while True:
        data = c.recv(1024)
        if not data: break
        got += data
    print("eof after", got.decode(), flush=True)
except ConnectionResetError:
    print("reset after", got.decode(), flush=True)
`);
    await using _peer = peer;
    await using relay = await startRelay(
      Number(port),
      "--reset-after",
      "3",
      "--faults",
      "upstream",
    );
    using conn = await connect(relay.port);
    await writeAll(conn, encode("abcdef"));
    assert.equal(await peer.nextOutput(), "reset after abc");
    await relay.waitForStderr(/ relayed .*up_bytes=3 .*end=reset-after/);
  },
);

Deno.test(
  "e2e: relay --reset-after resets a slow reader only once all N bytes have left: it reads every one, then the reset",
  requires("linux", "python3"),
  async () => {
    const total = 2 * 1024 * 1024;
    const { peer: target, port } = await PythonPeer.start(`
import socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
try:
    conn.sendall(b"x" * ${total + 65536})
    conn.recv(1)
except OSError:
    pass
`);
    await using _target = target;
    await using relay = await startRelay(
      Number(port),
      "--reset-after",
      String(total),
      "--faults",
      "downstream",
    );
    // A reader with a small buffer that waits before it reads: most of the
    // bytes are still in the relay's kernel when the limit is reached.
    const out = await runPython(
      `import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", ${relay.port}))
time.sleep(1)
got, end = 0, "eof"
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += len(chunk)
        time.sleep(0.001)
except ConnectionResetError:
    end = "reset"
print(got, end)`,
    );
    assert.equal(out.stdout.trim(), `${total} reset`, out.stderr);
    const line = await relay.waitForStderr(/ relayed /);
    assert.match(line, new RegExp(`down_bytes=${total} .*end=reset-after$`));
  },
);
