import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import {
  randomPayload,
  readToEnd,
  runPython,
  sha256,
  withTimeout,
} from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { writeAll } from "../../lib/io/streams.ts";

Deno.test("e2e: server on port 0 prints its ready line; client --message --expect exits 0", async () => {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    "--port",
    "0",
  ]);
  assert.match(server.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);
  const ok = await runSockit([
    "tcp-echo",
    "client",
    "--port",
    String(server.port),
    "--message",
    "hi",
    "--message",
    "héllo wörld",
    "--expect",
    "hi",
    "--expect",
    "héllo wörld",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "hi\nhéllo wörld\n");
  assert.equal(
    server.stdoutLines.length,
    1,
    "the server prints only its ready line on stdout",
  );
});

Deno.test("e2e: client --expect with a different reply exits 1 with a clear line", async () => {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    "--port",
    "0",
    "--mode",
    "upper",
  ]);
  const result = await runSockit([
    "tcp-echo",
    "client",
    "--port",
    String(server.port),
    "--message",
    "hi",
    "--expect",
    "hi",
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "HI\n");
  assert.equal(
    result.stderr,
    'sockit: reply 1 differs from --expect: expected "hi", got "HI"\n',
  );
});

Deno.test("e2e: piped stdin is streamed, half-closed, and the echo copied to stdout", async () => {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    "--port",
    "0",
  ]);
  const payload = randomPayload(3 * 1024 * 1024 + 17);
  const result = await runSockit([
    "tcp-echo",
    "client",
    "--port",
    String(server.port),
  ], { stdin: payload });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(sha256(result.stdoutBytes), sha256(payload));
});

Deno.test("e2e: usage errors exit 2 with one line naming the problem and --help", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["tcp-echoo"],
      /^sockit: unknown command "tcp-echoo": use one of .*\(see 'sockit --help'\)$/,
    ],
    [
      ["tcp-echo", "sever"],
      /^sockit: unknown role "sever" for tcp-echo: use server or client/,
    ],
    [
      ["tcp-echo", "server", "--bogus"],
      /^sockit: unknown option "--bogus" for tcp-echo server/,
    ],
    [
      ["tcp-echo", "server", "--port", "70000"],
      /^sockit: invalid --port "70000": use a port from 0 to 65535/,
    ],
    [
      ["tcp-echo", "client", "--timeout", "-1"],
      /^sockit: invalid --timeout "-1": use a number of seconds/,
    ],
    [
      ["tcp-echo", "client", "--port", "0"],
      /^sockit: invalid --port "0": use a port from 1 to 65535/,
    ],
    [
      ["tcp-echo", "server", "--mode", "sideways"],
      /^sockit: invalid --mode "sideways": use one of echo, upper, reverse/,
    ],
    [
      ["tcp-echo", "server", "--max-conns", "0"],
      /^sockit: invalid --max-conns "0"/,
    ],
    [
      ["tcp-echo", "client", "--expect", "x"],
      /^sockit: got 1 --expect for 0 --message/,
    ],
    [
      ["tcp-echo", "server", "--unix", "/tmp/x.sock", "--port", "1"],
      /cannot be combined/,
    ],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runSockit(args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, pattern);
      assert.match(lines[0]!, /\(see 'sockit( tcp-echo)? --help'\)$/);
    });
  }
});

Deno.test("e2e: a refused connection exits 1 with one clear line", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  const result = await runSockit([
    "tcp-echo",
    "client",
    "--port",
    String(port),
    "--message",
    "hi",
  ]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `sockit: cannot connect to tcp://127.0.0.1:${port}: connection refused\n`,
  );
});

Deno.test("e2e: a port already in use exits 1 with one clear line", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const result = await runSockit([
    "tcp-echo",
    "server",
    "--port",
    String(taken.addr.port),
  ]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `sockit: cannot listen on tcp://127.0.0.1:${taken.addr.port}: address already in use\n`,
  );
});

Deno.test("e2e: help and version exit 0", async () => {
  const help = await runSockit(["tcp-echo", "--help"]);
  assert.equal(help.code, 0);
  for (
    const option of [
      "--port",
      "--unix",
      "--max-conns",
      "--idle-timeout",
      "--mode",
      "--grace",
      "--timeout",
    ]
  ) {
    assert.ok(help.stdout.includes(option), `help mentions ${option}`);
  }
  assert.match(help.stdout, /64 KiB/);
  const top = await runSockit(["--help"]);
  assert.equal(top.code, 0);
  assert.match(
    top.stdout,
    /Exit codes: 0 ok, 1 runtime failure, 2 usage error/,
  );
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const version = await runSockit(["--version"]);
  assert.equal(version.code, 0);
  assert.match(
    version.stdout,
    new RegExp(
      `^sockit ${
        config.version.replaceAll(".", "\\.")
      } \\(deno \\d+\\.\\d+\\.\\d+, v8 \\S+, \\S+\\)\n$`,
    ),
  );
  assert.ok(
    version.stdout.includes(Deno.build.target),
    "the binary's target (the host's)",
  );
});

Deno.test(
  "e2e: SIGTERM while a transfer is in flight: it completes and the server exits 0",
  requires("posix"),
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--grace",
      "20",
    ]);
    using conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const payload = randomPayload(8 * 1024 * 1024);
    const reading = readToEnd(conn);
    await writeAll(conn, payload.subarray(0, payload.length / 2));
    server.child.kill("SIGTERM");
    await server.waitForStderr(/ shutdown reason=SIGTERM open=1/);
    await writeAll(conn, payload.subarray(payload.length / 2));
    await conn.closeWrite();
    const echoed = await withTimeout(
      reading,
      20_000,
      "the rest of the transfer",
    );
    assert.equal(sha256(echoed), sha256(payload));
    const status = await withTimeout(
      server.child.status,
      20_000,
      "the server to exit",
    );
    assert.equal(status.code, 0);
    assert.ok(server.stderrLines.some((l) => / stopped$/.test(l)));
  },
);

Deno.test(
  "e2e: SIGINT on an idle server exits 0 promptly",
  requires("posix"),
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
    ]);
    const status = await server.stop("SIGINT");
    assert.equal(status.code, 0);
  },
);

/**
 * Starts a server with `grace` seconds of grace and one open connection,
 * stops it with `stop`, and checks the connection is closed, the exit is 0
 * and a line matching `logged` says why.
 */
async function assertOpenConnectionClosedAtStop(
  grace: string,
  stop: (server: ServerProcess) => Promise<Deno.CommandStatus>,
  logged: RegExp,
): Promise<void> {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    "--port",
    "0",
    "--grace",
    grace,
  ]);
  using conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  await server.waitForStderr(/ open peer=/);
  const status = await stop(server);
  assert.equal(status.code, 0);
  assert.equal(
    await withTimeout(conn.read(new Uint8Array(1)), 5000, "the close"),
    null,
  );
  assert.ok(
    server.stderrLines.some((l) => logged.test(l)),
    server.stderrLines.join("\n"),
  );
}

Deno.test(
  "e2e: a second SIGTERM ends the grace period at once: the open connection is closed, exit 0",
  requires("posix"),
  () =>
    assertOpenConnectionClosedAtStop(
      "600",
      async (server) => {
        server.child.kill("SIGTERM");
        await server.waitForStderr(
          / shutdown reason=SIGTERM open=1 grace_ms=600000/,
        );
        return await server.stop("SIGTERM", 10_000);
      },
      /WARN tcp-echo forced closing=1/,
    ),
);

Deno.test(
  "e2e: a connection still open when the grace period ends is closed, exit 0",
  requires("posix"),
  () =>
    assertOpenConnectionClosedAtStop(
      "0.2",
      (server) => server.stop("SIGTERM"),
      /grace-expired closing=1/,
    ),
);

Deno.test(
  "e2e: connection logs: text by default, JSON with --log-format json, none with --quiet",
  requires("posix"),
  async () => {
    for (
      const [args, check] of [
        [[], (lines: string[]) => {
          assert.ok(
            lines.some((l) => /tcp-echo open peer=127\.0\.0\.1:\d+$/.test(l)),
            lines.join("\n"),
          );
          assert.ok(
            lines.some((l) =>
              /close peer=\S+ bytes_in=3 bytes_out=3 duration_ms=\d+ reason=eof/
                .test(l)
            ),
          );
        }],
        [["--log-format", "json"], (lines: string[]) => {
          const close = lines.map((l) => JSON.parse(l)).find((o) =>
            o.event === "close"
          );
          assert.equal(close.bytes_in, 3);
          assert.equal(close.bytes_out, 3);
          assert.equal(close.service, "tcp-echo");
          assert.equal(typeof close.duration_ms, "number");
        }],
        [["--quiet"], (lines: string[]) =>
          assert.deepEqual(
            lines.filter((l) => / (open|close) /.test(l)),
            [],
          )],
      ] as const
    ) {
      await using server = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--port",
        "0",
        ...args,
      ]);
      const result = await runSockit([
        "tcp-echo",
        "client",
        "--port",
        String(server.port),
        "--message",
        "hi",
      ]);
      assert.equal(result.code, 0, result.stderr);
      await server.stop();
      check(server.stderrLines);
    }
  },
);

Deno.test(
  "e2e: netcat (nc) talks to the server",
  requires("linux", "nc"),
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
    ]);
    const nc = new Deno.Command("nc", {
      args: ["-N", "127.0.0.1", String(server.port)],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const payload = new TextEncoder().encode("from netcat\nsecond line\n");
    const writer = nc.stdin.getWriter();
    await writer.write(payload);
    await writer.close();
    const output = await withTimeout(nc.output(), 10_000, "nc");
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.deepEqual(output.stdout, payload);
  },
);

Deno.test(
  "e2e: a Python 3 socket client talks to the server",
  requires("python3"),
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--mode",
      "upper",
    ]);
    const script = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall("hello from python\\nstraße\\n".encode())
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
`;
    const output = await runPython(script, String(server.port));
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.equal(
      new TextDecoder().decode(output.stdout),
      "HELLO FROM PYTHON\nSTRASSE\n",
    );
  },
);

Deno.test(
  "e2e: unix sockets for both roles; a stale socket file is replaced, a live one refused",
  requires("posix"),
  async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/echo.sock`;
    try {
      const dead = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--unix",
        path,
      ]);
      assert.equal((await dead.stop("SIGKILL")).signal, "SIGKILL");
      await dead[Symbol.asyncDispose]();
      assert.ok(
        (await Deno.lstat(path)).isSocket,
        "a killed server leaves a stale socket file",
      );
      await using server = await ServerProcess.start([
        "tcp-echo",
        "server",
        "--unix",
        path,
      ]);
      assert.equal(server.address, `unix:${path}`);
      const ok = await runSockit([
        "tcp-echo",
        "client",
        "--unix",
        path,
        "--message",
        "via unix",
        "--expect",
        "via unix",
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "via unix\n");
      const second = await runSockit(["tcp-echo", "server", "--unix", path]);
      assert.equal(second.code, 1);
      assert.match(
        second.stderr,
        /^sockit: cannot listen on unix:.*another server is listening there/,
      );
      assert.equal((await server.stop()).code, 0);
      await assert.rejects(
        Deno.lstat(path),
        Deno.errors.NotFound,
        "the server removes its socket file",
      );
      await Deno.writeTextFile(path, "not a socket");
      const notSocket = await runSockit(["tcp-echo", "server", "--unix", path]);
      assert.equal(notSocket.code, 1);
      assert.match(notSocket.stderr, /the path exists and is not a socket/);
      assert.equal(
        await Deno.readTextFile(path),
        "not a socket",
        "a regular file is never removed",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("e2e: a server on :0 and a client given its address as one word, as netcat users type it", async () => {
  await using server = await ServerProcess.start(["tcp-echo", "server", ":0"]);
  assert.match(server.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const result = await runSockit([
    "tcp-echo",
    "client",
    `127.0.0.1:${server.port}`,
    "-m",
    "hi",
    "-e",
    "hi",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "hi\n");
});
