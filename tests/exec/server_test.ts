import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { createHash } from "node:crypto";
import { writeAll } from "../../lib/io/streams.ts";
import { withTimeout } from "../_helpers.ts";
import {
  frame,
  groupAlive,
  readPidFile,
  readReply,
  request,
  startExec,
} from "../_exec.ts";

const POSIX = requires("posix", "ps"); // Commands run through /bin/sh in process groups.

const encode = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

Deno.test(
  "exec runs echo hi and replies with every header field",
  POSIX,
  async () => {
    await using server = startExec();
    using conn = await server.connect();
    const reply = await request(conn, { cmd: "echo hi" });
    assert.equal(reply.stdout, "hi\n");
    assert.equal(reply.stderr, "");
    assert.deepEqual(
      Object.keys(reply.header).sort(),
      [
        "duration_ms",
        "exit_code",
        "sha256",
        "signal",
        "stderr_size",
        "stdout_size",
        "timed_out",
        "total_size",
        "truncated",
      ],
    );
    assert.equal(reply.header.total_size, 3);
    assert.equal(reply.header.exit_code, 0);
    assert.equal(reply.header.sha256, sha256(reply.body));
  },
);

Deno.test(
  "exec reports exit codes 0, 3 and 127, and a signal",
  POSIX,
  async (t) => {
    await using server = startExec();
    using conn = await server.connect();
    for (
      const [cmd, code] of [["true", 0], ["exit 3", 3], [
        "no-such-command-here",
        127,
      ]] as const
    ) {
      await t.step(cmd, async () => {
        const reply = await request(conn, { cmd });
        assert.equal(reply.header.exit_code, code);
        assert.equal(reply.header.signal, null);
      });
    }
    const killed = await request(conn, { cmd: "kill -TERM $$" });
    assert.equal(killed.header.exit_code, null);
    assert.equal(killed.header.signal, "SIGTERM");
  },
);

Deno.test(
  "exec returns 10 MiB of interleaved stdout and stderr with matching sizes and hash",
  POSIX,
  async () => {
    await using server = startExec();
    using conn = await server.connect();
    const reply = await request(conn, {
      cmd: "head -c 5242880 /dev/urandom | tee /dev/stderr",
    });
    assert.equal(reply.header.stdout_size, 5242880);
    assert.equal(reply.header.stderr_size, 5242880);
    assert.equal(reply.body.length, 10485760);
    assert.equal(reply.header.sha256, sha256(reply.body));
    assert.deepEqual(
      reply.body.subarray(0, 5242880),
      reply.body.subarray(5242880),
      "tee wrote the same bytes",
    );
  },
);

Deno.test("exec passes stdin through", POSIX, async () => {
  await using server = startExec();
  using conn = await server.connect();
  const input = crypto.getRandomValues(new Uint8Array(60_000));
  const reply = await request(conn, { cmd: "cat" }, input);
  assert.deepEqual(reply.body, input);
});

Deno.test(
  "1 MB on stderr before any stdout does not deadlock; sizes are bytes",
  POSIX,
  async () => {
    await using server = startExec();
    using conn = await server.connect();
    const reply = await request(conn, {
      cmd: "head -c 1000000 /dev/zero >&2; echo done",
    });
    assert.equal(reply.header.stderr_size, 1_000_000);
    assert.equal(reply.stdout, "done\n");
    const unicode = await request(conn, { cmd: "printf 'é😀'" });
    assert.equal(unicode.header.total_size, 6);
    assert.equal(unicode.stdout, "é😀");
  },
);

for (
  const cmd of ["echo $$; sleep 100 | cat", "echo $$; sleep 600 & sleep 600"]
) {
  Deno.test(
    `a timeout on '${cmd}' replies within the limit and leaves no process of the group`,
    POSIX,
    async () => {
      await using server = startExec({ timeoutMs: 500, killGraceMs: 500 });
      using conn = await server.connect();
      const started = performance.now();
      const reply = await request(conn, { cmd });
      const elapsed = performance.now() - started;
      assert.equal(reply.header.timed_out, true);
      assert.equal(reply.header.signal, "SIGTERM");
      assert.ok(elapsed < 5000, `replied after ${elapsed} ms`);
      const pgid = Number(reply.stdout.trim());
      assert.ok(pgid > 1);
      assert.equal(
        await groupAlive(pgid),
        false,
        `process group ${pgid} still alive`,
      );
    },
  );
}

Deno.test(
  "a request's timeout_ms only lowers the server's limit",
  POSIX,
  async () => {
    await using server = startExec({ timeoutMs: 60_000 });
    using conn = await server.connect();
    const reply = await request(conn, { cmd: "sleep 30", timeout_ms: 200 });
    assert.equal(reply.header.timed_out, true);
    await using strict = startExec({ timeoutMs: 200 });
    using conn2 = await strict.connect();
    assert.equal(
      (await request(conn2, { cmd: "sleep 30", timeout_ms: 60_000 })).header
        .timed_out,
      true,
    );
  },
);

Deno.test(
  "200 MB of output with a 1 MiB cap: truncated, memory bounded, the command stopped",
  POSIX,
  async () => {
    await using server = startExec({ maxOutput: 1024 * 1024 });
    using conn = await server.connect();
    const before = Deno.memoryUsage().rss;
    const reply = await request(conn, {
      cmd: "head -c 200000000 /dev/zero; echo never-reached",
    });
    const grew = Deno.memoryUsage().rss - before;
    assert.equal(reply.header.truncated, true);
    assert.equal(reply.header.total_size, 1024 * 1024);
    assert.equal(
      reply.header.signal,
      "SIGTERM",
      "the command was stopped, not left to finish",
    );
    assert.ok(grew < 100 * 1024 * 1024, `rss grew ${grew} bytes`);
  },
);

Deno.test(
  "--max-output truncates across stdout and stderr",
  POSIX,
  async () => {
    await using server = startExec({ maxOutput: 1000 });
    using conn = await server.connect();
    const reply = await request(conn, {
      cmd: "head -c 600 /dev/zero; head -c 600 /dev/zero >&2",
    });
    assert.equal(reply.header.truncated, true);
    assert.equal(reply.header.total_size, 1000);
    assert.equal(reply.header.stdout_size, 600);
    assert.equal(reply.header.stderr_size, 400);
  },
);

Deno.test(
  "a command with a NUL byte or invalid UTF-8 is refused and nothing runs",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = startExec();
      for (
        const bytes of [
          frame({ cmd: `touch ${dir}/nul\u0000` }),
          (() => {
            const f = frame({ cmd: `touch ${dir}/bad-utf8-X` });
            f[f.indexOf(0x58)] = 0xff; // The X becomes an invalid byte.
            return f;
          })(),
          new Uint8Array([...encode(`touch ${dir}/legacy`), 0xff, 0xfe]),
        ]
      ) {
        using conn = await server.connect();
        await writeAll(conn, bytes);
        const reply = await readReply(conn);
        assert.equal(reply.header.error, "bad_request");
        assert.equal(reply.header.total_size, 0);
      }
      assert.deepEqual([...Deno.readDirSync(dir)], [], "no command ran");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a secret in the server's environment does not reach the command",
  POSIX,
  async () => {
    Deno.env.set("SOCKIT_TEST_SECRET", "hunter2-do-not-leak");
    try {
      await using server = startExec();
      using conn = await server.connect();
      const reply = await request(conn, { cmd: "env" });
      assert.equal(reply.header.exit_code, 0);
      assert.ok(!reply.stdout.includes("hunter2"), reply.stdout);
      assert.match(reply.stdout, /^PATH=/m);
    } finally {
      Deno.env.delete("SOCKIT_TEST_SECRET");
    }
  },
);

Deno.test(
  "--allow runs listed programs without a shell and refuses the rest",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = startExec({ allow: ["echo", "ls"] });
      using conn = await server.connect();
      const ok = await request(conn, { cmd: `echo 'a  b' "c d" $HOME` });
      assert.equal(ok.header.error, "not_allowed", "a variable needs a shell");
      const quoted = await request(conn, { cmd: `echo 'a  b' "c d"` });
      assert.equal(quoted.stdout, "a  b c d\n");
      for (
        const cmd of [
          `ls; touch ${dir}/x`,
          `ls && touch ${dir}/x`,
          `ls | touch ${dir}/x`,
          `echo $(touch ${dir}/x)`,
          `echo \`touch ${dir}/x\``,
          `touch ${dir}/x`,
          `ls > ${dir}/x`,
          `/bin/echo hi`,
        ]
      ) {
        const reply = await request(conn, { cmd });
        assert.equal(reply.header.error, "not_allowed", cmd);
        assert.equal(typeof reply.header.message, "string");
      }
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing ran");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a token is required when set: missing, wrong, right; never logged",
  POSIX,
  async () => {
    const token = "tok-7f3a9c-secret";
    await using server = startExec({ token });
    using conn = await server.connect();
    const missing = await request(conn, { cmd: "echo hi" });
    assert.equal(missing.header.error, "unauthorized");
    const started = performance.now();
    const wrong = await request(conn, { cmd: "echo hi", token: "guess" });
    assert.equal(wrong.header.error, "unauthorized");
    assert.ok(
      performance.now() - started >= 150,
      "a repeated failure is slowed down",
    );
    const right = await request(conn, { cmd: "echo hi", token });
    assert.equal(right.stdout, "hi\n");
    using legacy = await server.connect();
    await writeAll(legacy, encode("echo hi"));
    assert.equal((await readReply(legacy)).header.error, "unauthorized");
    assert.ok(server.log.lines.length > 0);
    assert.ok(
      server.log.lines.every((l) => !l.includes(token) && !l.includes("guess")),
    );
  },
);

Deno.test(
  "--max-concurrent and --queue: a full queue gets busy, a queued request runs later",
  POSIX,
  async () => {
    await using server = startExec({ maxConcurrent: 1, queue: 1 });
    const running = await server.connect();
    await writeAll(running, frame({ cmd: "sleep 30" }));
    await server.log.waitFor(/"event":"open"/);
    using queued = await server.connect();
    await writeAll(queued, frame({ cmd: "echo queued" }));
    using extra = await server.connect();
    // The queued request was read before the extra one is sent on, so the queue is full now.
    const busyReply = await withTimeout(
      (async () => {
        while (true) {
          const reply = await request(extra, { cmd: "echo extra" });
          if (reply.header.error === "busy") return reply;
        }
      })(),
      10_000,
      "a busy reply",
    );
    assert.match(String(busyReply.header.message), /try again later/);
    running.close(); // Its command is killed and its slot goes to the queued request.
    const queuedReply = await readReply(queued);
    assert.equal(queuedReply.stdout, "queued\n");
  },
);

Deno.test(
  "200 sequential commands on one connection, and 50 clients at once",
  POSIX,
  async () => {
    await using server = startExec({ maxConcurrent: 4, queue: 64 });
    using conn = await server.connect();
    for (let i = 0; i < 200; i++) {
      assert.equal(
        (await request(conn, { cmd: `echo ${i}` })).stdout,
        `${i}\n`,
      );
    }
    const conns = await Promise.all(
      Array.from({ length: 50 }, () => server.connect()),
    );
    try {
      const replies = await Promise.all(
        conns.map((c, i) => request(c, { cmd: `echo client-${i}` })),
      );
      replies.forEach((r, i) => assert.equal(r.stdout, `client-${i}\n`));
    } finally {
      conns.forEach((c) => c.close());
    }
  },
);

Deno.test(
  "malformed frames get bad_request and the server keeps serving",
  POSIX,
  async (t) => {
    await using server = startExec({ headerTimeoutMs: 300 });
    const lengthPrefix = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n, true);
      return b;
    };
    const withPrefix = (json: string) =>
      new Uint8Array([...lengthPrefix(encode(json).length), ...encode(json)]);
    const cases: Array<[string, Uint8Array]> = [
      ["length 0", lengthPrefix(0)],
      ["length 70,000", lengthPrefix(70_000)],
      ["length 0x7fffffff", lengthPrefix(0x7fffffff)],
      ["invalid JSON", withPrefix("{nope")],
      ["not an object", withPrefix("[]")],
      ["cmd missing", frame({ token: "x" })],
      [
        "a __proto__ key",
        withPrefix('{"cmd":"ls","__proto__":{"a":1}}'),
      ],
    ];
    for (const [name, bytes] of cases) {
      await t.step(name, async () => {
        using conn = await server.connect();
        await writeAll(conn, bytes);
        const reply = await readReply(conn);
        assert.equal(
          reply.header.error,
          "bad_request",
          JSON.stringify(reply.header),
        );
        using ok = await server.connect();
        assert.equal(
          (await request(ok, { cmd: "echo alive" })).stdout,
          "alive\n",
        );
      });
    }
  },
);

Deno.test(
  "a header cut short, and one byte then silence, are closed at the header deadline",
  POSIX,
  async () => {
    await using server = startExec({ headerTimeoutMs: 300 });
    for (
      const bytes of [
        frame({ cmd: "echo never" }).subarray(0, 10),
        new Uint8Array([0x10]),
      ]
    ) {
      using conn = await server.connect();
      await writeAll(conn, bytes);
      const rest = await withTimeout(
        conn.read(new Uint8Array(16)).catch(() => null),
        5000,
        "the close",
      );
      assert.equal(rest, null);
    }
    assert.equal(server.log.events("header-timeout").length, 2);
    assert.equal(server.log.events("exec").length, 0, "nothing ran");
  },
);

Deno.test(
  "a request sent one byte at a time runs exactly once",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = startExec();
      using conn = await server.connect();
      conn.setNoDelay(true);
      const bytes = frame({ cmd: `echo ran >> ${dir}/log; echo ok` });
      for (let i = 0; i < bytes.length; i++) {
        await writeAll(conn, bytes.subarray(i, i + 1));
      }
      assert.equal((await readReply(conn)).stdout, "ok\n");
      assert.equal(await Deno.readTextFile(`${dir}/log`), "ran\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "a client vanishing mid-request runs nothing; vanishing while its command runs kills it",
  POSIX,
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await using server = startExec();
      const partial = await server.connect();
      await writeAll(
        partial,
        frame({ cmd: `touch ${dir}/partial` }).subarray(0, 12),
      );
      partial.close();
      const running = await server.connect();
      await writeAll(
        running,
        frame({ cmd: `echo $$ > ${dir}/pid; exec sleep 100` }),
      );
      const pid = await readPidFile(`${dir}/pid`, 5000);
      assert.equal(
        await groupAlive(pid),
        true,
        "the check sees a running command",
      );
      running.close();
      await server.log.waitFor(/"event":"cancelled"/);
      assert.equal(await groupAlive(pid), false, "the command was killed");
      assert.ok(
        !(await Deno.stat(`${dir}/partial`).catch(() => null)),
        "the partial request ran nothing",
      );
      using ok = await server.connect();
      assert.equal(
        (await request(ok, { cmd: "echo alive" })).stdout,
        "alive\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("legacy raw commands run when no token is set", POSIX, async () => {
  await using server = startExec();
  using conn = await server.connect();
  await writeAll(conn, encode("echo legacy"));
  const reply = await readReply(conn);
  assert.equal(reply.stdout, "legacy\n");
  await writeAll(conn, encode("ls /"));
  assert.match(
    (await readReply(conn)).stdout,
    /^bin/m,
    "short commands (under 4 bytes of prefix) too",
  );
});

Deno.test(
  "a client vanishing mid-response does not disturb the server",
  POSIX,
  async () => {
    await using server = startExec();
    const leaving = await server.connect();
    await writeAll(leaving, frame({ cmd: "head -c 20000000 /dev/zero" }));
    await leaving.read(new Uint8Array(4));
    leaving.close();
    await server.log.waitFor(/"event":"close".*"reason":"error"/);
    using ok = await server.connect();
    assert.equal((await request(ok, { cmd: "echo alive" })).stdout, "alive\n");
  },
);

Deno.test(
  "the server's memory does not grow with the number of requests served",
  POSIX,
  async () => {
    await using server = startExec();
    using conn = await server.connect();
    const payload = "x".repeat(10_000);
    const serve = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await request(conn, { cmd: "cat" }, new TextEncoder().encode(payload));
      }
    };
    await serve(200);
    const after200 = Deno.memoryUsage().heapUsed;
    await serve(800);
    const after1000 = Deno.memoryUsage().heapUsed;
    const grew = after1000 - after200;
    // 800 more requests moved 16 MB through the server; a leak of even 20 KB each would show.
    assert.ok(
      grew < 16 * 1024 * 1024,
      `heap grew ${grew} bytes over 800 requests`,
    );
  },
);

Deno.test(
  "a connection's first request arriving just after shutdown begins is still answered",
  POSIX,
  async () => {
    await using server = startExec();
    using conn = await server.connect();
    await server.log.waitFor(/"event":"open"/);
    server.shutdown();
    await server.log.waitFor(/"event":"shutdown"/);
    await writeAll(conn, frame({ cmd: "echo late but accepted" }));
    assert.equal((await readReply(conn)).stdout, "late but accepted\n");
    assert.equal(
      await withTimeout(
        conn.read(new Uint8Array(1)),
        5000,
        "the close after it",
      ),
      null,
    );
  },
);

Deno.test(
  "a request nested 5,000 deep gets a bad_request reply naming the bound, and the server goes on",
  POSIX,
  async () => {
    await using server = startExec();
    {
      using conn = await server.connect();
      const deep = `{"cmd":"true","x":${"[".repeat(5000)}${"]".repeat(5000)}}`;
      const json = encode(deep);
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, json.length, true);
      await writeAll(conn, new Uint8Array([...prefix, ...json]));
      const reply = await readReply(conn);
      assert.equal(reply.header.error, "bad_request");
      assert.match(
        String(reply.header.message),
        /^Header nests deeper than 32 levels$/,
      );
      const refused = server.log.events("refused");
      assert.equal(refused.at(-1)?.error, "bad_request");
    }
    using again = await server.connect();
    assert.equal((await request(again, { cmd: "echo up" })).stdout, "up\n");
  },
);
