import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import {
  listenLoopback,
  PythonPeer,
  runPython,
  waitUntil,
  withTimeout,
} from "../_helpers.ts";
import { groupAlive, readPidFile } from "../_exec.ts";
import { runSockit, ServerProcess, sockitArgv } from "../_sockit.ts";

const POSIX = requires("posix", "ps"); // Commands run through /bin/sh in process groups.

const decoder = new TextDecoder();

Deno.test(
  "e2e: exec client -- uname -a behaves like running uname -a locally",
  POSIX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
    ]);
    assert.match(server.address, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const local = await new Deno.Command("uname", { args: ["-a"] }).output();
    const remote = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--",
      "uname",
      "-a",
    ]);
    assert.equal(remote.code, local.code);
    assert.equal(remote.stdout, decoder.decode(local.stdout));
    const failing = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--",
      "sh",
      "-c",
      "echo e >&2; exit 7",
    ]);
    assert.equal(failing.code, 7);
    assert.equal(failing.stderr, "e\n");
    const piped = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--stdin",
      "--cmd",
      "wc -c",
    ], {
      stdin: "12345",
    });
    assert.equal(piped.stdout.trim(), "5");
    const json = await runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--json",
      "--no-stream",
      "--cmd",
      "echo hi",
    ]);
    assert.equal(JSON.parse(json.stdout).stdout, "hi\n");
  },
);

Deno.test(
  "e2e: a non-loopback bind without a token is refused with exit 2",
  POSIX,
  async () => {
    const result = await runSockit([
      "exec",
      "server",
      "--host",
      "0.0.0.0",
      "--port",
      "0",
    ]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^sockit: cannot bind "0\.0\.0\.0:0": a token is required for non-loopback addresses; set SOCKIT_TOKEN or --token-file \(see 'sockit exec --help'\)\n$/,
    );
  },
);

Deno.test(
  "e2e: a token from --token-file or SOCKIT_TOKEN, never in the logs",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const token = "e2e-token-4b1d";
      await Deno.writeTextFile(`${dir}/token`, token + "\n");
      await using server = await ServerProcess.start([
        "exec",
        "server",
        "--port",
        "0",
        "--token-file",
        `${dir}/token`,
      ]);
      const port = String(server.port);
      const ok = await runSockit([
        "exec",
        "client",
        "--port",
        port,
        "--cmd",
        "echo ok",
      ], { env: { SOCKIT_TOKEN: token } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, "ok\n");
      const viaFile = await runSockit([
        "exec",
        "client",
        "--port",
        port,
        "--token-file",
        `${dir}/token`,
        "--cmd",
        "echo f",
      ]);
      assert.equal(viaFile.stdout, "f\n");
      const denied = await runSockit([
        "exec",
        "client",
        "--port",
        port,
        "--cmd",
        "echo no",
      ], { env: { SOCKIT_TOKEN: "nope" } });
      assert.equal(denied.code, 255, "a refusal is the transport's, as in ssh");
      assert.match(
        denied.stderr,
        /^sockit: tcp:\/\/127\.0\.0\.1:\d+ refused the command: unauthorized: The token is wrong\n$/,
      );
      await server.stop();
      assert.ok(
        server.stderrLines.every((l) =>
          !l.includes(token) && !l.includes("nope")
        ),
      );
      assert.ok(
        server.stderrLines.some((l) => /refused .*error=unauthorized/.test(l)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("e2e: the exec unix socket is created mode 0600", POSIX, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using _server = await ServerProcess.start([
      "exec",
      "server",
      "--unix",
      `${dir}/exec.sock`,
    ]);
    assert.equal((await Deno.stat(`${dir}/exec.sock`)).mode! & 0o777, 0o600);
    const result = await runSockit([
      "exec",
      "client",
      "--unix",
      `${dir}/exec.sock`,
      "--cmd",
      "echo via unix",
    ]);
    assert.equal(result.stdout, "via unix\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: exec usage errors exit 2", POSIX, async () => {
  for (
    const [args, pattern] of [
      [
        ["exec", "client", "--cmd", "ls", "--", "ls"],
        /after -- or with --cmd, not both/,
      ],
      [["exec", "client", "--stdin"], /--stdin needs a command/],
      [
        ["exec", "client", "--legacy", "--token-file", "/x", "--cmd", "ls"],
        /--legacy sends no token/,
      ],
      [
        ["exec", "client", "uname", "-a"],
        /unknown option "-a" for exec client; put the remote command after --/,
      ],
      [
        ["exec", "server", "--max-output", "lots"],
        /invalid --max-output "lots": use a size from 0B to 1GiB/,
      ],
      [
        ["exec", "server", "--token-file", "/nonexistent/token"],
        /cannot read --token-file/,
      ],
    ] as const
  ) {
    const result = await runSockit([...args]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
});

Deno.test(
  "e2e: a Python 3 client written the seeds' way gets the right output",
  POSIX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
    ]);
    const script = `
import json, socket, struct, sys
def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", int(sys.argv[1])))
for cmd in ["echo hello from seeds", "ls /nonexistent-dir"]:
    s.send(cmd.encode("utf-8"))
    header_len = struct.unpack("i", recv_exact(s, 4))[0]
    header = json.loads(recv_exact(s, header_len).decode("utf-8"))
    total_size = header["total_size"]
    data = b""
    while len(data) < total_size:
        data += s.recv(1024)
    sys.stdout.write("%d %s|" % (total_size, data.decode("utf-8").strip()))
`;
    const output = await runPython(script, String(server.port));
    assert.equal(output.code, 0, decoder.decode(output.stderr));
    const [first, second] = decoder.decode(output.stdout).split("|");
    assert.equal(first, "17 hello from seeds");
    assert.match(
      second!,
      /^\d+ ls: .*nonexistent-dir.*No such file or directory$/,
    );
  },
);

Deno.test(
  "e2e: exec client --legacy gets the right output from a Python 3 server written the seeds' way",
  POSIX,
  async () => {
    const script = `
import json, socket, struct, subprocess
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, addr = server.accept()
cmd = conn.recv(1024)
res = subprocess.Popen(cmd.decode("utf-8"), shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
stdout = res.stdout.read()
stderr = res.stderr.read()
header = json.dumps({"total_size": len(stdout) + len(stderr), "filename": None, "md5": None}).encode("utf-8")
conn.send(struct.pack("i", len(header)))
conn.send(header)
conn.sendall(stdout)
conn.sendall(stderr)
conn.close()
`;

    const { peer, port } = await PythonPeer.start(script);
    await using _peer = peer;
    const result = await runSockit([
      "exec",
      "client",
      "--legacy",
      "--port",
      port,
      "--cmd",
      "echo légacy; echo 💥",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "légacy\n💥\n");
  },
);

Deno.test(
  "e2e: SIGTERM lets a running command finish within the grace period",
  POSIX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--grace",
      "10",
    ]);
    const client = runSockit([
      "exec",
      "client",
      "--port",
      String(server.port),
      "--cmd",
      "sleep 0.5; echo finished",
    ]);
    await server.waitForStderr(/ open peer=/);
    server.child.kill("SIGTERM");
    await server.waitForStderr(/ shutdown reason=SIGTERM open=1/);
    const result = await client;
    assert.equal(result.stdout, "finished\n");
    assert.equal(
      (await withTimeout(server.child.status, 15_000, "the server")).code,
      0,
    );
  },
);

Deno.test(
  "e2e: killing the exec server with SIGKILL kills the commands it started",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const server = await ServerProcess.start([
        "exec",
        "server",
        "--port",
        "0",
      ]);
      await using _server = server;
      const client = runSockit([
        "exec",
        "client",
        "--port",
        String(server.port),
        "--cmd",
        `echo $$ > ${dir}/pid; sleep 300`,
      ]);
      const pid = await readPidFile(`${dir}/pid`, 10_000);
      assert.equal(await groupAlive(pid), true, "the command runs");
      assert.equal((await server.stop("SIGKILL")).signal, "SIGKILL");
      const result = await client;
      assert.equal(result.code, 255, "the client sees the connection drop");
      await waitUntil(
        async () => !(await groupAlive(pid)),
        10_000,
        `process group ${pid} to be killed by the reaper`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "e2e: a closed stdout ends the exec client quietly with 141, and a refusal is 255",
  requires("linux"), // bash, for PIPESTATUS.
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
    ]);
    const [program, ...base] = sockitArgv();
    const output = await new Deno.Command("bash", {
      args: [
        "-c",
        '"$@" --cmd "seq 1 100000" | head -2; exit "${PIPESTATUS[0]}"',
        "bash",
        program!,
        ...base,
        "exec",
        "client",
        "--port",
        String(server.port),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    assert.equal(decode(output.stdout), "1\n2\n");
    assert.equal(decode(output.stderr), "", "no stack trace, no blame");
    assert.equal(output.code, 141);
    const closed = listenLoopback();
    const closedPort = closed.addr.port;
    closed.close();
    const unreachable = await runSockit([
      "exec",
      "client",
      "--port",
      String(closedPort),
      "--cmd",
      "true",
      "--timeout",
      "2",
    ]);
    assert.equal(unreachable.code, 255, unreachable.stderr);
    assert.match(unreachable.stderr, /^sockit: cannot connect to /);
  },
);
