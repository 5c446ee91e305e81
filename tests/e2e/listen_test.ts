import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { runPython, withTimeout } from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { writeAll } from "../../lib/io/streams.ts";

const encode = (s: string) => new TextEncoder().encode(s);

async function send(port: number, ...chunks: string[]): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (const chunk of chunks) await writeAll(conn, encode(chunk));
  await conn.closeWrite();
  while ((await conn.read(new Uint8Array(64))) !== null) {
    /* until it closes */
  }
  conn.close();
}

Deno.test("e2e: sockit listen --once prints what the client sends after its ready line, then exits 0", async () => {
  await using sink = await ServerProcess.start(["listen", ":0", "--once"]);
  await send(sink.port, "hello ", "sink\n");
  const status = await withTimeout(sink.child.status, 10_000, "listen --once");
  assert.equal(status.code, 0);
  assert.deepEqual(sink.stdoutLines, [sink.readyLine, "hello sink"]);
});

Deno.test("e2e: sockit listen --output keeps each connection in its own file; --max-bytes bounds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using sink = await ServerProcess.start([
      "listen",
      ":0",
      "--output",
      dir,
      "--max-bytes",
      "10",
    ]);
    await send(sink.port, "first");
    await send(sink.port, "0123456789 and more");
    await sink.waitForStderr(/max-bytes/);
    await sink.stop();
    const files = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name)
      .sort();
    assert.equal(files.length, 2);
    assert.match(files[0]!, /^0001-127\.0\.0\.1_\d+\.bin$/);
    const text = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    assert.equal(await text(files[0]!), "first");
    assert.equal(await text(files[1]!), "0123456789");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "e2e: sockit listen --reply stands in for a server: a seeds' client gets the reply",
  requires("python3"),
  async () => {
    await using sink = await ServerProcess.start([
      "listen",
      ":0",
      "--reply",
      "pong",
    ]);
    const out = await runPython(
      `
import socket, sys
s = socket.socket()
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"ping")
print(s.recv(1024).decode(), end="")
`,
      String(sink.port),
    );
    assert.equal(new TextDecoder().decode(out.stdout), "pong");
    assert.equal((await sink.stop()).code, 0);
    await sink[Symbol.asyncDispose](); // Its stdout read to the end.
    assert.deepEqual(sink.stdoutLines.slice(1), ["ping"], "no newline added");
  },
);

Deno.test(
  "e2e: sockit listen --udp --once prints one datagram and answers it",
  requires("python3"),
  async () => {
    await using sink = await ServerProcess.start([
      "listen",
      "udp://127.0.0.1:0",
      "--once",
      "--reply",
      "got it",
    ]);
    assert.match(sink.readyLine, /listening on udp:\/\/127\.0\.0\.1:\d+$/);
    const out = await runPython(
      `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"a datagram\\n", ("127.0.0.1", int(sys.argv[1])))
print(s.recv(1024).decode(), end="")
`,
      String(sink.port),
    );
    assert.equal(new TextDecoder().decode(out.stdout), "got it");
    const status = await withTimeout(
      sink.child.status,
      10_000,
      "listen --once",
    );
    assert.equal(status.code, 0);
    assert.equal(sink.stdoutLines[1], "a datagram");
  },
);

Deno.test("e2e: sockit listen refuses an --output that is a file (exit 2)", async () => {
  const file = await Deno.makeTempFile();
  try {
    const result = await runSockit(["listen", ":0", "--output", file]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `sockit: invalid --output "${file}": it exists and is not a directory; give a directory (see 'sockit listen --help')\n`,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("e2e: listen --once takes the first connection only: a second one already connected is closed unread, and the sink exits when the first ends", async () => {
  await using sink = await ServerProcess.start(["listen", ":0", "--once"]);
  using first = await Deno.connect({ hostname: "127.0.0.1", port: sink.port });
  using second = await Deno.connect({
    hostname: "127.0.0.1",
    port: sink.port,
  });
  await second.write(encode("from the second\n")).catch(() => 0);
  await writeAll(first, encode("from the first\n"));
  await sink.waitForStdout(/^from the first$/);
  const secondEnd = await withTimeout(
    second.read(new Uint8Array(16)).catch(() => null),
    5000,
    "the second connection to be closed",
  );
  assert.equal(secondEnd, null);
  await writeAll(first, encode("more\n"));
  await first.closeWrite();
  const started = performance.now();
  const status = await withTimeout(
    sink.child.status,
    5000,
    "listen --once to exit",
  );
  assert.equal(status.code, 0);
  assert.ok(performance.now() - started < 1000, "no grace period to wait out");
  assert.deepEqual(sink.stdoutLines.slice(1), ["from the first", "more"]);
});

Deno.test(
  "e2e: listen --udp forgets a sender quiet for --idle-timeout, so new senders are taken past --max-conns",
  requires("python3"),
  async () => {
    await using sink = await ServerProcess.start([
      "listen",
      "--udp",
      ":0",
      "--max-conns",
      "1",
      "--idle-timeout",
      "0.3",
    ]);
    const send = (text: string) =>
      runPython(
        `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), ("127.0.0.1", int(sys.argv[1])))`,
        String(sink.port),
        text,
      );
    await send("one\n");
    await sink.waitForStdout(/^one$/);
    await new Promise((r) => setTimeout(r, 500)); // Past the idle timeout.
    await send("two\n");
    await sink.waitForStdout(/^two$/, 5000);
    await sink.waitForStderr(
      / close peer=127\.0\.0\.1:\d+ bytes=4 reason=idle-timeout/,
    );
    assert.ok(!sink.stderrLines.some((l) => l.includes("max-conns")));
  },
);
