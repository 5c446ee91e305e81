import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { requires } from "../_platform.ts";
import {
  PythonPeer,
  randomPayload,
  readExactly,
  waitUntil,
  withTimeout,
} from "../_helpers.ts";
import { frame, groupAlive, readPidFile } from "../_exec.ts";
import { ServerProcess, sockitArgv, sockitCommandLine } from "../_sockit.ts";
import { writeAll } from "../../lib/io/streams.ts";

const NEEDS = requires("posix", "ps");
const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The exec client as a subprocess, its stdout read as it comes. */
function execClient(port: number, args: string[]) {
  const [program, ...base] = sockitArgv();
  const child = new Deno.Command(program!, {
    args: [...base, "exec", "client", `:${port}`, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: { text: string; at: number }[] = [];
  let partial = "";
  const reading = (async () => {
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const text of parts) lines.push({ text, at: performance.now() });
    }
  })();
  const stderr = new Response(child.stderr).text();
  return {
    child,
    lines,
    async done() {
      const status = await withTimeout(child.status, 30_000, "the exec client");
      await reading;
      return { code: status.code, at: performance.now(), stderr: await stderr };
    },
  };
}

/** `ps -o FIELD= -p PID`: a process's RSS in KiB, its state; `""` once gone. */
async function ps(field: "rss" | "stat", pid: number): Promise<string> {
  const out = await new Deno.Command("ps", {
    args: ["-o", `${field}=`, "-p", String(pid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function rssKiB(pid: number): Promise<number> {
  return Number(await ps("rss", pid));
}

Deno.test(
  "exec stream: each line a command prints reaches the client as it is printed, long before the command ends",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start(["exec", "server", ":0"]);
    const client = execClient(server.port, [
      "--",
      "sh",
      "-c",
      "for i in 1 2 3; do echo line $i; sleep 0.4; done",
    ]);
    await client.child.stdin.close();
    const end = await client.done();
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(client.lines.map((l) => l.text), [
      "line 1",
      "line 2",
      "line 3",
    ]);
    const [first, second] = client.lines;
    assert.ok(
      end.at - first!.at >= 700,
      `line 1 came ${end.at - first!.at} ms before the end`,
    );
    assert.ok(
      second!.at - first!.at >= 300,
      "line 2 came after line 1's sleep, not with it",
    );
  },
);

Deno.test(
  "exec stream: --json prints one object per chunk and one for the exit; --no-stream one object",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start(["exec", "server", ":0"]);
    const streamed = execClient(server.port, [
      "--json",
      "--",
      "sh",
      "-c",
      "echo out; echo err >&2; exit 3",
    ]);
    await streamed.child.stdin.close();
    assert.equal((await streamed.done()).code, 3);
    const objects = streamed.lines.map((l) => JSON.parse(l.text));
    assert.deepEqual(
      objects.filter((o) => o.type !== "exit").map((o) => [o.type, o.data])
        .sort(),
      [["stderr", "err\n"], ["stdout", "out\n"]],
    );
    assert.equal(objects.at(-1).type, "exit");
    assert.equal(objects.at(-1).exit_code, 3);
    const single = execClient(server.port, [
      "--json",
      "--no-stream",
      "--",
      "echo",
      "whole",
    ]);
    await single.child.stdin.close();
    assert.equal((await single.done()).code, 0);
    assert.equal(single.lines.length, 1);
    assert.equal(JSON.parse(single.lines[0]!.text).stdout, "whole\n");
  },
);

Deno.test(
  "exec stream: streamed stdin reaches a command that answers each line before the next is typed",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start(["exec", "server", ":0"]);
    const client = execClient(server.port, [
      "--stdin",
      "--",
      "sh",
      "-c",
      'while read line; do echo "got $line"; done',
    ]);
    const writer = client.child.stdin.getWriter();
    for (const word of ["one", "two", "three"]) {
      await writer.write(encode(`${word}\n`));
      await waitUntil(
        () =>
          Promise.resolve(client.lines.some((l) => l.text === `got ${word}`)),
        10_000,
        `the answer to ${word}`,
      );
    }
    await writer.close();
    const end = await client.done();
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(client.lines.map((l) => l.text), [
      "got one",
      "got two",
      "got three",
    ]);
  },
);

Deno.test(
  "exec stream: 200 MB through a streamed cat come back byte for byte, the server's memory bounded",
  NEEDS,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      ":0",
      "--max-output",
      "1GiB",
      "--quiet",
    ]);
    const before = await rssKiB(server.pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssKiB(server.pid));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const [program, ...base] = sockitArgv();
      const child = new Deno.Command(program!, {
        args: [
          ...base,
          "exec",
          "client",
          `:${server.port}`,
          "--stdin",
          "--",
          "cat",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const block = randomPayload(1024 * 1024);
      const total = 200;
      const sent = createHash("sha256");
      const feeding = (async () => {
        const writer = child.stdin.getWriter();
        for (let i = 0; i < total; i++) {
          await writer.write(block);
          sent.update(block);
        }
        await writer.close();
      })();
      const got = createHash("sha256");
      let bytes = 0;
      for await (const chunk of child.stdout) {
        got.update(chunk);
        bytes += chunk.length;
      }
      await feeding;
      const status = await child.status;
      assert.equal(status.code, 0, await new Response(child.stderr).text());
      assert.equal(bytes, total * block.length);
      assert.equal(got.digest("hex"), sent.digest("hex"));
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(
      peak - before < 96 * 1024,
      `the server grew by ${((peak - before) / 1024).toFixed(0)} MiB`,
    );
  },
);

Deno.test(
  "exec stream: a client that stops reading stalls the command, not the server's memory; its disconnect kills the group",
  NEEDS,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = await ServerProcess.start([
        "exec",
        "server",
        ":0",
        "--max-output",
        "1GiB",
        "--quiet",
      ]);
      using conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.port,
      });
      await writeAll(
        conn,
        frame({ cmd: `echo $$ > ${dir}/pid; exec yes streaming`, stream: 1 }),
      );
      const pgid = await readPidFile(`${dir}/pid`);
      await readExactly(conn, 4); // The first frame has begun: output flows. Now stop reading.
      const before = await rssKiB(server.pid);
      // yes blocks writing to its full pipe once the socket buffers are
      // full: asleep (S) at three looks in a row, 50 ms apart.
      let asleep = 0;
      let stalledAt = -1;
      await waitUntil(
        async () => {
          asleep = (await ps("stat", pgid)).startsWith("S") ? asleep + 1 : 0;
          stalledAt = await rssKiB(server.pid);
          return asleep >= 3;
        },
        15_000,
        "the command to block on its full pipe",
      );
      assert.ok(
        stalledAt - before < 64 * 1024,
        `server grew ${stalledAt - before} KiB while the client did not read`,
      );
      conn.close();
      await waitUntil(
        async () => !(await groupAlive(pgid)),
        10_000,
        "the process group to die",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  'exec stream: a request without "stream" gets today\'s single reply, byte for byte (Python peer)',
  requires("python3"),
  async () => {
    await using server = await ServerProcess.start(["exec", "server", ":0"]);
    const out = await new Deno.Command("timeout", {
      args: [
        "10",
        "python3",
        "-c",
        `
import json, socket, struct
s = socket.create_connection(("127.0.0.1", ${server.port}))
h = json.dumps({"cmd": "echo old"}).encode()
s.sendall(struct.pack("<I", len(h)) + h)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
    n = struct.unpack("<I", data[:4])[0]
    if len(data) >= 4 + n:
        header = json.loads(data[4:4 + n])
        if len(data) >= 4 + n + header["total_size"]: break
print(json.dumps(sorted(header)), data[4 + n:].decode().strip())
`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, decode(out.stderr));
    const [keys, body] = decode(out.stdout).trim().split("] ");
    assert.deepEqual(JSON.parse(keys + "]"), [
      "duration_ms",
      "exit_code",
      "sha256",
      "signal",
      "stderr_size",
      "stdout_size",
      "timed_out",
      "total_size",
      "truncated",
    ]);
    assert.equal(body, "old");
  },
);

Deno.test(
  "exec stream: against a server that does not stream, the client falls back to one reply, stdin included",
  requires("python3"),
  async () => {
    // An older server: one reply per request; a request without "cmd" (the
    // hello) gets bad_request and the connection closed.
    const { peer, port } = await PythonPeer.start(`
import hashlib, json, socket, struct, subprocess
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(4)
print(srv.getsockname()[1], flush=True)
def exactly(c, n):
    d = b""
    while len(d) < n:
        chunk = c.recv(n - len(d))
        if not chunk: raise EOFError
        d += chunk
    return d
def reply(c, header, body=b""):
    h = json.dumps(header).encode()
    c.sendall(struct.pack("<I", len(h)) + h + body)
for _ in range(3):
    c, _ = srv.accept()
    try:
        while True:
            n = struct.unpack("<I", exactly(c, 4))[0]
            req = json.loads(exactly(c, n))
            if "cmd" not in req:
                reply(c, {"error": "bad_request", "message": "no cmd", "total_size": 0})
                break
            stdin = exactly(c, req.get("stdin_size", 0))
            out = subprocess.run(req["cmd"], shell=True, input=stdin, capture_output=True).stdout
            reply(c, {"total_size": len(out), "stdout_size": len(out), "stderr_size": 0, "exit_code": 0,
                      "signal": None, "timed_out": False, "truncated": False, "duration_ms": 1,
                      "sha256": hashlib.sha256(out).hexdigest()}, out)
    except EOFError:
        pass
    c.close()
`);
    await using _peer = peer;
    const plain = execClient(Number(port), [
      "--",
      "echo",
      "from an old server",
    ]);
    await plain.child.stdin.close();
    const plainEnd = await plain.done();
    assert.equal(plainEnd.code, 0, plainEnd.stderr);
    assert.deepEqual(plain.lines.map((l) => l.text), ["from an old server"]);
    const withStdin = execClient(Number(port), [
      "--stdin",
      "--",
      "tr",
      "a-z",
      "A-Z",
    ]);
    const writer = withStdin.child.stdin.getWriter();
    await writer.write(encode("sent whole\n"));
    await writer.close();
    const end = await withStdin.done();
    assert.equal(end.code, 0, end.stderr);
    assert.deepEqual(withStdin.lines.map((l) => l.text), ["SENT WHOLE"]);
  },
);

Deno.test(
  "exec stream: the time limit, --max-output and the background-process rule hold as for one reply",
  NEEDS,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = await ServerProcess.start([
        "exec",
        "server",
        ":0",
        "--max-output",
        "1KiB",
      ]);
      const slow = execClient(server.port, [
        "--json",
        "--timeout",
        "1",
        "--",
        "sh",
        "-c",
        "echo started; sleep 30",
      ]);
      await slow.child.stdin.close();
      const slowEnd = await slow.done();
      assert.equal(slowEnd.code, 124, slowEnd.stderr);
      const slowObjects = slow.lines.map((l) => JSON.parse(l.text));
      assert.equal(slowObjects[0].data, "started\n");
      assert.equal(slowObjects.at(-1).timed_out, true);

      const big = execClient(server.port, ["--json", "--", "yes"]);
      await big.child.stdin.close();
      await big.done();
      const objects = big.lines.map((l) => JSON.parse(l.text));
      const sent = objects.filter((o) => o.type === "stdout").reduce(
        (n, o) => n + o.data.length,
        0,
      );
      assert.equal(sent, 1024);
      assert.equal(objects.at(-1).truncated, true);
      assert.equal(objects.at(-1).stdout_size, 1024);

      const left = execClient(server.port, [
        "--",
        "sh",
        "-c",
        `sleep 30 & echo $! > ${dir}/bg; echo done`,
      ]);
      await left.child.stdin.close();
      const leftEnd = await left.done();
      assert.equal(leftEnd.code, 0, leftEnd.stderr);
      assert.deepEqual(left.lines.map((l) => l.text), ["done"]);
      const bg = Number((await Deno.readTextFile(`${dir}/bg`)).trim());
      await waitUntil(
        async () => ["", "Z"].includes((await ps("stat", bg)).slice(0, 1)),
        10_000,
        "the background sleep to be killed",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "exec stream: tar c | sockit exec client --stdin -- tar x copies a tree through the stream",
  NEEDS,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/src/sub`, { recursive: true });
      await Deno.mkdir(`${dir}/dst`);
      await Deno.writeFile(
        `${dir}/src/big.bin`,
        randomPayload(3 * 1024 * 1024),
      );
      await Deno.writeTextFile(`${dir}/src/sub/note.txt`, "kept\n");
      await using server = await ServerProcess.start([
        "exec",
        "server",
        ":0",
        "--quiet",
      ]);
      const client = sockitCommandLine();
      const out = await new Deno.Command("sh", {
        args: [
          "-c",
          `tar c -C ${dir}/src . | ${client} exec client :${server.port} --stdin -- tar x -C ${dir}/dst`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, decode(out.stderr));
      const hash = async (path: string) =>
        createHash("sha256").update(await Deno.readFile(path)).digest("hex");
      assert.equal(
        await hash(`${dir}/dst/big.bin`),
        await hash(`${dir}/src/big.bin`),
      );
      assert.equal(
        await Deno.readTextFile(`${dir}/dst/sub/note.txt`),
        "kept\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
