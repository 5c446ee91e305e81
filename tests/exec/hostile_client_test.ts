/**
 * Exec against clients that do not play along: one that never reads its
 * reply must not hold a command slot or its connection for ever (in either
 * reply mode), and one that leaves right after its request must not let the
 * command run.
 */
import assert from "node:assert/strict";
import { frame, readReply, startExec } from "../_exec.ts";
import { runPython, waitUntil, withTimeout } from "../_helpers.ts";
import { writeAll } from "../../lib/io/streams.ts";

for (const mode of ["stream", "single"] as const) {
  Deno.test(
    `exec (${mode} reply): a client that never reads gives its slot back once the command is killed, and its connection at the idle timeout`,
    async () => {
      await using server = startExec({
        maxConcurrent: 1,
        idleTimeoutMs: 400,
      });
      using stalled = await server.connect();
      // Output without end, more than the sockets can hold; never read.
      await writeAll(
        stalled,
        frame({
          cmd: mode === "stream" ? "yes" : "yes | head -c 20000000",
          timeout_ms: 300,
          ...(mode === "stream" ? { stream: 1 } : {}),
        }),
      );
      await server.log.waitFor(/"event":"open"/);
      using next = await server.connect();
      await writeAll(next, frame({ cmd: "echo next" }));
      const reply = await readReply(next, 10_000);
      assert.equal(reply.stdout, "next\n", "the one slot came back");
      await server.log.waitFor(
        /"event":"close".*"reason":"idle-timeout"/,
        10_000,
      );
    },
  );
}

for (const leave of ["close", "reset"] as const) {
  Deno.test(
    `exec: a request whose client ${
      leave === "close" ? "closes" : "resets"
    } at once never runs past its first instant, ten times in a row`,
    async () => {
      await using server = startExec({ maxConcurrent: 16 });
      const dir = await Deno.makeTempDir();
      try {
        for (let i = 0; i < 10; i++) {
          const marker = `${dir}/marker-${i}`;
          const request = frame({ cmd: `sleep 0.4; touch ${marker}` });
          if (leave === "close") {
            const conn = await server.connect();
            await writeAll(conn, request);
            conn.close();
          } else {
            await resetAfterSending(server.port, request);
          }
          // Past the sleep: a command that ran would have left its marker.
          // (A reset that beats accept() costs the request before it is read.)
          await new Promise((r) => setTimeout(r, 700));
          assert.equal(
            await Deno.stat(marker).then(() => true, () => false),
            false,
            `run ${i + 1}: the cancelled command ran to the end`,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

Deno.test("exec: a cancelled command's group is gone within its first instant", async () => {
  await using server = startExec();
  const dir = await Deno.makeTempDir();
  try {
    const pidFile = `${dir}/pid`;
    const conn = await server.connect();
    await writeAll(
      conn,
      frame({ cmd: `echo $$ > ${pidFile}; exec sleep 30` }),
    );
    const pid = await withTimeout(
      (async () => {
        while (true) {
          const text = await Deno.readTextFile(pidFile).catch(() => "");
          if (text.endsWith("\n")) return Number(text);
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
      10_000,
      "the command's pid",
    );
    conn.close();
    await waitUntil(
      () =>
        Promise.resolve(
          (() => {
            try {
              Deno.kill(pid, "SIGCONT");
              return false;
            } catch {
              return true;
            }
          })(),
        ),
      1000,
      "the command to be killed once its client left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Sends `bytes` from Python and closes with a reset (SO_LINGER 0). */
async function resetAfterSending(port: number, bytes: Uint8Array) {
  const out = await runPython(
    `import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.sendall(bytes.fromhex(sys.argv[2]))
s.close()`,
    String(port),
    [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
  );
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("exec: a streamed stdin frame that lies in its length and stalls is bounded by the command's time limit, and the connection ends", async () => {
  await using server = startExec();
  using conn = await server.connect();
  const started = performance.now();
  await writeAll(conn, frame({ hello: 1 }));
  await readHelloReply(conn);
  await writeAll(
    conn,
    frame({ cmd: "cat", stream: 1, stdin: "stream", timeout_ms: 500 }),
  );
  // Announces 60,000 bytes, sends 5, then nothing.
  await writeAll(
    conn,
    frame({ type: "stdin", size: 60_000 }, new TextEncoder().encode("hello")),
  );
  const frames = await readFramesToEnd(conn, 10_000);
  const exit = frames.find((f) => f.type === "exit");
  assert.ok(exit, `an exit frame: ${JSON.stringify(frames)}`);
  assert.equal(exit.timed_out, true);
  assert.ok(
    performance.now() - started < 5000,
    "within the time limit and its kill grace",
  );
});

Deno.test("exec: a stdin frame over 64 KiB is refused and the connection ends; the server goes on", async () => {
  await using server = startExec();
  {
    using conn = await server.connect();
    await writeAll(conn, frame({ hello: 1 }));
    await readHelloReply(conn);
    await writeAll(conn, frame({ cmd: "cat", stream: 1, stdin: "stream" }));
    await writeAll(conn, frame({ type: "stdin", size: 10_000_000 }));
    const frames = await readFramesToEnd(conn, 10_000);
    assert.ok(
      frames.every((f) => f.type !== "stdout"),
      `nothing was fed: ${JSON.stringify(frames)}`,
    );
  }
  using next = await server.connect();
  await writeAll(next, frame({ cmd: "echo fine" }));
  assert.equal((await readReply(next)).stdout, "fine\n");
});

async function readHelloReply(conn: Deno.Conn): Promise<void> {
  const [hello] = await readFrames(conn, 1, 5000);
  assert.equal(hello?.stream, 1);
}

/** Reads frames (header and body) until the connection ends; headers only. */
async function readFramesToEnd(
  conn: Deno.Conn,
  ms: number,
): Promise<Record<string, unknown>[]> {
  return await readFrames(conn, Infinity, ms);
}

async function readFrames(
  conn: Deno.Conn,
  count: number,
  ms: number,
): Promise<Record<string, unknown>[]> {
  return await withTimeout(
    (async () => {
      const headers: Record<string, unknown>[] = [];
      const buffer: number[] = [];
      const chunk = new Uint8Array(65536);
      const take = async (n: number): Promise<Uint8Array | null> => {
        while (buffer.length < n) {
          const got = await conn.read(chunk).catch(() => null);
          if (got === null) return null;
          buffer.push(...chunk.subarray(0, got));
        }
        return new Uint8Array(buffer.splice(0, n));
      };
      while (headers.length < count) {
        const prefix = await take(4);
        if (!prefix) break;
        const length = new DataView(prefix.buffer).getUint32(0, true);
        const json = await take(length);
        if (!json) break;
        const header = JSON.parse(new TextDecoder().decode(json));
        headers.push(header);
        const body = header.size ?? header.total_size ?? 0;
        if (body > 0 && !(await take(body))) break;
      }
      return headers;
    })(),
    ms,
    "the frames",
  );
}
