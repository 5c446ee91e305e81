import assert from "node:assert/strict";
import { writeAll } from "../../lib/io/streams.ts";
import { frame, readReply, request } from "../_exec.ts";
import {
  randomPayload,
  readExactly,
  waitUntil,
  withTimeout,
} from "../_helpers.ts";
import { requires } from "../_platform.ts";
import { ServerProcess, sockitArgv, sockitCommandLine } from "../_sockit.ts";

const LINUX = requires("linux", "ps");

/** Open file descriptors of a process (Linux). */
async function openFds(pid: number): Promise<number> {
  const output = await new Deno.Command("ls", {
    args: [`/proc/${pid}/fd`],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim().split("\n").length;
}

Deno.test(
  "a client stopped with SIGSTOP is closed at the idle timeout",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--idle-timeout",
      "0.5",
    ]);
    const nc = new Deno.Command("python3", {
      args: [
        "-c",
        `import socket,sys,time\ns=socket.create_connection(("127.0.0.1",${server.port}))\nprint("up",flush=True)\ntime.sleep(60)`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = nc.stdout.getReader();
      await withTimeout(reader.read(), 10_000, "the client to connect");
      reader.releaseLock();
      nc.kill("SIGSTOP");
      await server.waitForStderr(
        / close peer=\S+ .*reason=idle-timeout/,
        10_000,
      );
      nc.kill("SIGCONT");
    } finally {
      nc.kill("SIGKILL");
      await nc.status;
      await nc.stdout.cancel().catch(() => {});
    }
  },
);

Deno.test(
  "a client that writes and never reads is closed once no write moves for the idle timeout",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--idle-timeout",
      "0.5",
    ]);
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const chunk = randomPayload(1 << 20);
    const writing = (async () => {
      try {
        for (let i = 0; i < 256; i++) await writeAll(conn, chunk);
        return "wrote everything";
      } catch {
        return "closed";
      }
    })();
    await server.waitForStderr(/ close peer=\S+ .*reason=idle-timeout/, 15_000);
    assert.equal(
      await withTimeout(writing, 15_000, "the writer to fail"),
      "closed",
    );
    conn.close();
    const ok = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAll(ok, new Uint8Array([1, 2, 3]));
    assert.deepEqual(
      await withTimeout(readExactly(ok, 3), 5000, "an echo"),
      new Uint8Array([1, 2, 3]),
    );
    ok.close();
  },
);

Deno.test(
  "exec: a header dripped one byte at a time is closed at the header deadline, its slot freed",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--header-timeout",
      "1",
      "--max-concurrent",
      "1",
    ]);
    const drip = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const bytes = frame({ cmd: "echo never" });
    const dripping = (async () => {
      try {
        for (let i = 0; i < bytes.length; i++) {
          await writeAll(drip, bytes.subarray(i, i + 1));
          await new Promise((r) => setTimeout(r, 250));
        }
        return "sent all";
      } catch {
        return "closed";
      }
    })();
    await server.waitForStderr(/ header-timeout peer=/, 10_000);
    assert.equal(
      await withTimeout(dripping, 20_000, "the drip to be cut off"),
      "closed",
    );
    drip.close();
    const ok = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    assert.equal((await request(ok, { cmd: "echo next" })).stdout, "next\n");
    ok.close();
    assert.ok(
      !server.stderrLines.some((l) => l.includes("echo never")),
      "the dripped command never ran",
    );
  },
);

Deno.test(
  "10,000 connect-then-close cycles leave the server's descriptors where they started",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "tcp-echo",
      "server",
      "--port",
      "0",
      "--quiet",
    ]);
    const pid = server.child.pid;
    const probe = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    await writeAll(probe, new Uint8Array([0]));
    await readExactly(probe, 1);
    probe.close();
    await waitUntil(
      async () => (await openFds(pid)) > 0,
      5000,
      "fds to be readable",
    );
    const before = await openFds(pid);
    for (let batch = 0; batch < 200; batch++) {
      const conns = await Promise.all(
        Array.from(
          { length: 50 },
          () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        ),
      );
      conns.forEach((c) => c.close());
    }
    await waitUntil(
      async () => (await openFds(pid)) <= before,
      20_000,
      `fds back to ${before}`,
    );
    const ok = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAll(ok, new Uint8Array([9]));
    assert.deepEqual(
      await withTimeout(readExactly(ok, 1), 5000, "an echo"),
      new Uint8Array([9]),
    );
    ok.close();
  },
);

Deno.test(
  "under ulimit -n 64, 200 clients: accept errors back off, the server recovers",
  LINUX,
  async () => {
    const argv = sockitCommandLine();
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        `ulimit -n 64 && exec ${argv} tcp-echo server --port 0 --quiet`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const decoder = new TextDecoder();
    const pump = (stream: ReadableStream<Uint8Array>) =>
      stream.pipeTo(
        new WritableStream({
          write: (c) => void lines.push(...decoder.decode(c).split("\n")),
        }),
      );
    const pumps = [pump(child.stdout), pump(child.stderr)];
    const conns: Deno.Conn[] = [];
    try {
      await waitUntil(
        () => Promise.resolve(lines.some((l) => l.includes("listening on"))),
        15_000,
        "the ready line",
      );
      const port = Number(
        lines.find((l) => l.includes("listening on"))!.match(/:(\d+)$/)![1],
      );
      const attempts = Array.from({ length: 200 }, async () => {
        try {
          conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch {
          // The backlog is full: refused or timed out, as the kernel decides.
        }
      });
      await withTimeout(Promise.all(attempts), 60_000, "200 connects");
      await waitUntil(
        () => Promise.resolve(lines.some((l) => l.includes("accept-failed"))),
        10_000,
        "an accept error",
      );
      const started = performance.now();
      await new Promise((r) => setTimeout(r, 2000)); // Two seconds of EMFILE: count the retries.
      const seconds = (performance.now() - started) / 1000;
      const failures = lines.filter((l) => l.includes("accept-failed")).length;
      assert.ok(
        failures < 40 * seconds,
        `${failures} accept errors in ${seconds.toFixed(1)} s: a busy loop`,
      );
      assert.ok(
        lines.some((l) => /retry_ms=(\d{3,})/.test(l)),
        "the back-off grew to hundreds of ms",
      );
      conns.splice(0).forEach((c) => c.close());
      const ok = await withTimeout(
        Deno.connect({ hostname: "127.0.0.1", port }),
        10_000,
        "a connect after",
      );
      await writeAll(ok, new Uint8Array([5]));
      assert.deepEqual(
        await withTimeout(readExactly(ok, 1), 10_000, "an echo after recovery"),
        new Uint8Array([5]),
      );
      ok.close();
    } finally {
      conns.forEach((c) => c.close());
      child.kill("SIGKILL");
      await child.status;
      await Promise.all(pumps).catch(() => {});
    }
  },
);

Deno.test(
  "exec: a slot freed by a timed-out request serves the next one",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--max-concurrent",
      "1",
      "--timeout",
      "0.3",
    ]);
    const a = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const b = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAll(a, frame({ cmd: "sleep 30" }));
    await writeAll(b, frame({ cmd: "echo second" }));
    const [first, second] = await Promise.all([readReply(a), readReply(b)]);
    assert.equal(first.header.timed_out, true);
    assert.equal(second.stdout, "second\n");
    a.close();
    b.close();
  },
);

Deno.test(
  "exec: SIGTERM under load: every command run is answered in full, none cut; exit 0",
  LINUX,
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--grace",
      "10",
      "--log-format",
      "json",
    ]);
    const tally = {
      ok: 0,
      refusedReply: 0,
      refusedConnect: 0,
      closed: 0,
      partial: 0,
      wrong: 0,
    };
    let signalled = false;
    const oneRequest = async (conn: Deno.Conn, tag: string) => {
      await writeAll(conn, frame({ cmd: `sleep 0.02; echo ${tag}` }));
      const got: number[] = [];
      const buffer = new Uint8Array(4096);
      let need = Infinity;
      while (got.length < need) {
        let n: number | null;
        try {
          n = await conn.read(buffer);
        } catch {
          n = null; // A reset: the kernel's for a connection still in the accept backlog at shutdown.
        }
        if (n === null) {
          if (got.length > 0) tally.partial++; // Part of a reply, then nothing: a reply cut short.
          else tally.closed++;
          return false;
        }
        got.push(...buffer.subarray(0, n));
        if (need === Infinity && got.length >= 4) {
          const length = new DataView(new Uint8Array(got.slice(0, 4)).buffer)
            .getUint32(0, true);
          if (got.length >= 4 + length) {
            const header = JSON.parse(
              new TextDecoder().decode(
                new Uint8Array(got.slice(4, 4 + length)),
              ),
            );
            need = 4 + length + header.total_size;
            if (header.error) {
              tally.refusedReply++;
              return true;
            }
          }
        }
      }
      const length = new DataView(new Uint8Array(got.slice(0, 4)).buffer)
        .getUint32(0, true);
      const stdout = new TextDecoder().decode(
        new Uint8Array(got.slice(4 + length)),
      );
      if (stdout === `${tag}\n`) tally.ok++;
      else tally.wrong++;
      return true;
    };
    const freshConnections = async (id: number) => {
      for (let i = 0;; i++) {
        let conn: Deno.Conn;
        try {
          conn = await Deno.connect({
            hostname: "127.0.0.1",
            port: server.port,
          });
        } catch {
          tally.refusedConnect++;
          return;
        }
        try {
          await oneRequest(conn, `fresh-${id}-${i}`);
        } catch {
          tally.closed++;
        } finally {
          conn.close();
        }
        if (signalled && i > 1000) return;
      }
    };
    const keepAlive = async (id: number) => {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.port,
      });
      try {
        for (let i = 0;; i++) {
          if (
            !(await oneRequest(conn, `kept-${id}-${i}`).catch(() => false))
          ) return;
        }
      } finally {
        conn.close();
      }
    };
    const clients = [
      ...Array.from({ length: 8 }, (_, i) => freshConnections(i)),
      ...Array.from({ length: 4 }, (_, i) => keepAlive(i)),
    ];
    await waitUntil(
      () => Promise.resolve(tally.ok >= 40),
      30_000,
      "40 answered requests",
    );
    const started = performance.now();
    server.child.kill("SIGTERM");
    signalled = true;
    const status = await withTimeout(
      server.child.status,
      15_000,
      "the server to exit",
    );
    const exitMs = performance.now() - started;
    await withTimeout(Promise.all(clients), 30_000, "the clients to finish");
    assert.equal(status.code, 0);
    assert.equal(
      tally.partial,
      0,
      `replies cut short: ${JSON.stringify(tally)}`,
    );
    assert.equal(tally.wrong, 0, JSON.stringify(tally));
    await server.waitForStderr(/"event":"stopped"/);
    const ran =
      server.stderrLines.filter((l) => l.includes('"event":"exec"')).length;
    assert.equal(
      ran,
      tally.ok,
      `commands run ${ran}, answered in full ${tally.ok}: ${
        JSON.stringify(tally)
      }`,
    );
    assert.ok(
      tally.refusedConnect > 0,
      "new connections are refused once shutdown starts",
    );
    assert.ok(
      exitMs < 5000,
      `idle connections held shutdown for ${exitMs} ms of a 10 s grace`,
    );
    // A keep-alive client that sends again at once gets the command in hand
    // and one request already sent answered after the signal, no more.
    const shutdownAt = server.stderrLines.findIndex((l) =>
      l.includes('"event":"shutdown"')
    );
    const afterSignal = new Map<string, number>();
    for (const line of server.stderrLines.slice(shutdownAt)) {
      const event = JSON.parse(line);
      if (event.event === "exec" && event.cmd.includes("kept-")) {
        afterSignal.set(event.peer, (afterSignal.get(event.peer) ?? 0) + 1);
      }
    }
    for (const [peer, count] of afterSignal) {
      assert.ok(count <= 2, `${peer} ran ${count} commands after SIGTERM`);
    }
  },
);

/** Starts a logging tcp-echo server whose stderr is a pipe this test does not read yet. */
async function echoServerWithUnreadStderr(): Promise<
  { child: Deno.ChildProcess; port: number }
> {
  const [program, ...args] = sockitArgv();
  const child = new Deno.Command(program!, {
    args: [...args, "tcp-echo", "server", "--port", "0"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await withTimeout(stdout.read(), 15_000, "the ready line");
  await stdout.cancel();
  return { child, port: Number(value?.match(/:(\d+)\n/)?.[1]) };
}

/** Connects, echoes one byte and closes, `count` times: each leaves open and close log lines. */
async function echoCycles(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, new Uint8Array([i & 0xff]));
      const echoed = await withTimeout(
        readExactly(conn, 1),
        5000,
        `the echo on connection ${
          i + 1
        } (a stalled log must not stall the server)`,
      );
      assert.equal(echoed[0], i & 0xff);
    } finally {
      conn.close();
    }
  }
}

Deno.test(
  "a server whose stderr nobody reads keeps serving, and reports the log lines it dropped",
  LINUX,
  async () => {
    const { child, port } = await echoServerWithUnreadStderr();
    let stderr: Promise<string> | undefined;
    try {
      // About 180 bytes of log per connection: 2,500 of them fill the
      // 64 KiB pipe and the 256 KiB queue several times over.
      await echoCycles(port, 2500);
      stderr = new Response(child.stderr).text();
      child.kill("SIGTERM");
      const status = await withTimeout(child.status, 15_000, "the exit");
      assert.equal(status.code, 0);
      const log = await stderr;
      const reports = [
        ...log.matchAll(/ WARN tcp-echo log-dropped lines=(\d+) /g),
      ];
      assert.ok(
        reports.length > 0,
        `no log-dropped line in ${log.slice(-500)}`,
      );
      const dropped = reports.reduce((n, m) => n + Number(m[1]), 0);
      const kept = log.split("\n").filter((l) =>
        / tcp-echo (open|close) /.test(l)
      ).length;
      // Nothing is lost silently: every open and close line is either kept
      // or counted (a line or two of shutdown may be counted too).
      assert.ok(
        kept + dropped >= 2 * 2500 && kept + dropped <= 2 * 2500 + 4,
        `${kept} kept + ${dropped} dropped`,
      );
      assert.ok(kept > 1000, `${kept} lines kept`);
      assert.match(log, / tcp-echo stopped\n/);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited.
      }
      await child.status;
      await (stderr ?? child.stderr.cancel());
    }
  },
);

Deno.test(
  "a server whose stderr is stalled still exits promptly at SIGTERM",
  LINUX,
  async () => {
    const { child, port } = await echoServerWithUnreadStderr();
    try {
      await echoCycles(port, 1000);
      const started = performance.now();
      child.kill("SIGTERM");
      const status = await withTimeout(child.status, 15_000, "the exit");
      assert.equal(status.code, 0);
      const ms = performance.now() - started;
      // The log gets 2 s to drain at exit (LOG_FLUSH_MS), no more.
      assert.ok(ms < 6000, `exit took ${ms.toFixed(0)} ms`);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited.
      }
      await child.status;
      await child.stderr.cancel();
    }
  },
);
