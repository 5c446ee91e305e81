import assert from "node:assert/strict";
import { readExactly, waitUntil, withTimeout } from "../_helpers.ts";
import { runSockit, ServerProcess } from "../_sockit.ts";
import { writeAll } from "../../lib/io/streams.ts";

const encode = (s: string) => new TextEncoder().encode(s);
const ENTRY = /^\+\d+\.\d{6}s #\d+ \S+ (recv|send) /;

/** Sends each chunk and reads its echo before the next, then half-closes. */
async function echoEach(port: number, chunks: string[]): Promise<void> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (const chunk of chunks) {
    await writeAll(conn, encode(chunk));
    await readExactly(conn, encode(chunk).length);
  }
  await conn.closeWrite();
  await conn.read(new Uint8Array(1));
}

Deno.test("e2e: tcp-echo server --trace shows each read and write with a hexdump -C dump, and the end of stream", async () => {
  await using server = await ServerProcess.start([
    "tcp-echo",
    "server",
    ":0",
    "--trace",
  ]);
  await echoEach(server.port, ["one\n", "second\n"]);
  await server.waitForStderr(/recv end of stream/);
  const trace = server.stderrLines.filter((line) => !/ tcp-echo /.test(line));
  const heads = trace.filter((line) => ENTRY.test(line))
    .map((line) => line.replace(/^\S+ #1 \S+ /, ""));
  assert.deepEqual(heads, [
    "recv 4 bytes",
    "send 4 bytes",
    "recv 7 bytes",
    "send 7 bytes",
    "recv end of stream",
  ]);
  assert.ok(
    trace.includes(
      "00000000  73 65 63 6f 6e 64 0a                              |second.|",
    ),
  );
});

Deno.test("e2e: a server without --trace writes no trace", async () => {
  await using server = await ServerProcess.start(["tcp-echo", "server", ":0"]);
  await echoEach(server.port, ["one\n"]);
  await server.waitForStderr(/ close /);
  assert.equal(server.stderrLines.filter((line) => ENTRY.test(line)).length, 0);
});

Deno.test("e2e: the exec server's and client's traces show each frame's length, header and body, the token hidden", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = await ServerProcess.start(
      ["exec", "server", ":0", "--allow", "cat", "--trace"],
      { SOCKIT_TOKEN: "sesame" },
    );
    const result = await runSockit(
      [
        "exec",
        "client",
        `:${server.port}`,
        "--stdin",
        "--no-stream",
        "--trace-file",
        `${dir}/t.jsonl`,
        "--trace-format",
        "json",
        "--",
        "cat",
      ],
      { stdin: "abc", env: { SOCKIT_TOKEN: "sesame" } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "abc");
    assert.equal(result.stderr, "");
    const entries = (await Deno.readTextFile(`${dir}/t.jsonl`)).trimEnd()
      .split("\n").map((line) => JSON.parse(line));
    const frames = entries.flatMap((e) => e.notes ?? []);
    assert.deepEqual(frames.map((f) => [f.frame, f.body_bytes]), [["exec", 3], [
      "exec",
      3,
    ]]);
    assert.equal(frames[0].header.token, "(hidden)");
    assert.equal(frames[0].header.cmd, "cat");
    assert.equal(frames[1].header.exit_code, 0);
    const sent = entries.filter((e) => e.dir === "send" && e.kind === "stream")
      .map((e) => e.hex).join("");
    assert.ok(sent.endsWith("616263"), "the body, abc, follows the header");
    await server.waitForStderr(/recv end of stream/);
    const note = server.stderrLines.find((line) =>
      line.includes("exec frame")
    )!;
    assert.match(
      note,
      /^ {2}\^ at 0: exec frame: length \d+, header \{"cmd":"cat",.*"token":"\(hidden\)".*\}, body 3 bytes/,
    );
    assert.ok(!server.stderrLines.some((line) => line.includes("sesame")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: udp-upper --trace shows one entry per datagram on both sides, cut at --trace-bytes", async () => {
  await using server = await ServerProcess.start([
    "udp-upper",
    "server",
    ":0",
    "--trace",
    "--trace-bytes",
    "2",
  ]);
  const result = await runSockit([
    "udp-upper",
    "client",
    `:${server.port}`,
    "-m",
    "hello",
    "--trace",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "HELLO\n");
  assert.match(
    result.stderr,
    /send datagram 5 bytes\n00000000 {2}68 65 .*\|hello\|\n/,
  );
  assert.match(
    result.stderr,
    /recv datagram 5 bytes\n00000000 {2}48 45 4c 4c 4f/,
  );
  await server.waitForStderr(/send datagram 5 bytes/);
  const at = server.stderrLines.findIndex((l) =>
    / send datagram 5 bytes$/.test(l)
  );
  assert.match(server.stderrLines[at + 1]!, /^00000000 {2}48 45 +\|HE\|$/);
  assert.equal(server.stderrLines[at + 2], "... 3 more bytes not shown");
});

Deno.test("e2e: --trace-bytes and --trace-file take only what works", async () => {
  const bad = await runSockit([
    "tcp-echo",
    "client",
    "-m",
    "x",
    "--trace-bytes",
    "-1",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--trace-bytes/);
  const nowhere = await runSockit(
    ["tcp-echo", "server", ":0", "--trace-file", "/nonexistent/dir/trace"],
    { timeoutMs: 10_000 },
  );
  assert.equal(nowhere.code, 1);
  assert.match(
    nowhere.stderr,
    /cannot write the trace to "\/nonexistent\/dir\/trace": no such file or directory/,
  );
});

Deno.test("e2e: listen --trace shows where each read ends, the bytes still on stdout", async () => {
  await using sink = await ServerProcess.start([
    "listen",
    ":0",
    "--once",
    "--trace",
  ]);
  const reads = () => sink.stderrLines.filter((l) => / recv \d bytes$/.test(l));
  {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: sink.port });
    await writeAll(conn, encode("ping"));
    await sink.waitForStderr(/recv 4 bytes/);
    await writeAll(conn, encode("pong\n"));
    await waitUntil(
      () => Promise.resolve(reads().length === 2),
      10_000,
      "the second read",
    );
  }
  assert.equal(
    (await withTimeout(sink.child.status, 10_000, "listen")).code,
    0,
  );
  assert.deepEqual(reads().map((l) => l.replace(/^.* recv /, "")), [
    "4 bytes",
    "5 bytes",
  ]);
  assert.deepEqual(sink.stdoutLines.slice(1), ["pingpong"]);
});

/** The bytes each text entry dumps, rebuilt from its `hexdump -C` rows, joined per entry. */
function dumpedBytes(lines: string[]): string[] {
  const entries: string[] = [];
  let current: number[] | null = null;
  for (const line of lines) {
    if (/^\+\d+\.\d+s #\d+ /.test(line)) {
      if (current) entries.push(String.fromCharCode(...current));
      current = [];
      continue;
    }
    const row = line.match(/^[0-9a-f]{8} {2}((?:[0-9a-f]{2} {1,2})+)/);
    if (row && current) {
      for (const hex of row[1]!.trim().split(/\s+/)) {
        current.push(parseInt(hex, 16));
      }
    }
  }
  if (current) entries.push(String.fromCharCode(...current));
  return entries;
}

Deno.test("e2e: --trace never shows the exec token's bytes, in the dump or the JSON hex, on either side", async () => {
  const token = "sesame-0123456789-open";
  const tokenHex = [...new TextEncoder().encode(token)].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  const dir = await Deno.makeTempDir();
  try {
    await using server = await ServerProcess.start(
      ["exec", "server", ":0", "--allow", "cat", "--trace"],
      { SOCKIT_TOKEN: token },
    );
    for (const format of ["text", "json"]) {
      for (const stream of ["--stream", "--no-stream"]) {
        const file = `${dir}/client-${format}${stream}`;
        const result = await runSockit(
          [
            "exec",
            "client",
            `:${server.port}`,
            "--stdin",
            ...(stream === "--no-stream" ? ["--no-stream"] : []),
            "--trace-file",
            file,
            "--trace-format",
            format,
            "--",
            "cat",
          ],
          { stdin: "abc", env: { SOCKIT_TOKEN: token } },
        );
        assert.equal(result.code, 0, result.stderr);
        const trace = await Deno.readTextFile(file);
        assert.ok(!trace.includes(token), `${format} ${stream}: no token text`);
        assert.ok(
          !trace.includes(tokenHex),
          `${format} ${stream}: no token hex`,
        );
        if (format === "text") {
          for (const bytes of dumpedBytes(trace.split("\n"))) {
            assert.ok(!bytes.includes(token), "no token in any dumped chunk");
          }
          assert.match(trace, /hidden: a secret, shown as \*/);
        } else {
          const hidden = trace.trimEnd().split("\n").map((l) => JSON.parse(l))
            .filter((e) => e.hidden);
          assert.ok(
            hidden.length > 0,
            "the entry with the header says what it hid",
          );
        }
      }
    }
    await server.waitForStderr(/hidden: a secret/);
    assert.ok(!server.stderrLines.some((line) => line.includes(token)));
    const serverBytes = dumpedBytes(server.stderrLines);
    assert.ok(serverBytes.length > 0);
    assert.ok(serverBytes.every((bytes) => !bytes.includes(token)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: --trace-file /dev/stdout and /dev/stderr are the process's streams; a device sockit cannot open is refused in sockit's words", async () => {
  await using server = await ServerProcess.start(["tcp-echo", "server", ":0"]);
  const toStdout = await runSockit([
    "tcp-echo",
    "client",
    `:${server.port}`,
    "-m",
    "hi",
    "--trace-file",
    "/dev/stdout",
  ]);
  assert.equal(toStdout.code, 0, toStdout.stderr);
  assert.match(toStdout.stdout, /#1 tcp:\/\/127\.0\.0\.1:\d+ send 3 bytes/);
  const toFd2 = await runSockit([
    "tcp-echo",
    "client",
    `:${server.port}`,
    "-m",
    "hi",
    "--trace-file",
    "/dev/fd/2",
  ]);
  assert.equal(toFd2.code, 0, toFd2.stderr);
  assert.match(toFd2.stderr, /recv 3 bytes/);
  const device = await runSockit([
    "tcp-echo",
    "client",
    `:${server.port}`,
    "-m",
    "hi",
    "--trace-file",
    "/dev/full",
  ]);
  assert.equal(device.code, 1);
  assert.match(
    device.stderr,
    /^sockit: cannot write the trace to "\/dev\/full": sockit writes to regular files, \/dev\/stdout and \/dev\/stderr only/,
  );
  assert.doesNotMatch(device.stderr, /allow-all|run again/);
});

Deno.test("e2e: --token-file reads /dev/stdin; /proc and <(...) are refused in sockit's words, exit 2", async () => {
  await using server = await ServerProcess.start(
    ["exec", "server", ":0", "--allow", "echo"],
    { SOCKIT_TOKEN: "sesame" },
  );
  const fromStdin = await runSockit(
    [
      "exec",
      "client",
      `:${server.port}`,
      "--token-file",
      "/dev/stdin",
      "--",
      "echo",
      "in",
    ],
    { stdin: "sesame\n" },
  );
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal(fromStdin.stdout, "in\n");
  const bothStdin = await runSockit(
    [
      "exec",
      "client",
      `:${server.port}`,
      "--token-file",
      "/dev/stdin",
      "--stdin",
      "--",
      "cat",
    ],
    { stdin: "sesame\nbody\n" },
  );
  assert.equal(bothStdin.code, 2);
  assert.match(
    bothStdin.stderr,
    /^sockit: option --token-file \/dev\/stdin reads standard input, which --stdin sends/,
  );
  for (const path of ["/proc/self/environ", "/dev/fd/5"]) {
    const refused = await runSockit([
      "exec",
      "client",
      `:${server.port}`,
      "--token-file",
      path,
      "--",
      "echo",
      "in",
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^sockit: cannot read --token-file "[^"]+": /);
    assert.doesNotMatch(refused.stderr, /allow-all|run again/);
  }
});
