// deno-lint-ignore-file no-console -- a load script reports on stdout.
/**
 * `deno task soak [SECONDS]`: mixed load on all three services at once (and a
 * TLS echo server, when openssl is there to make its certificate), each
 * a sockit server subprocess on loopback (SOCKIT_BIN when set, else main.ts
 * with the `sockit` task's flags), for a fixed time (default 60 s). Then it
 * reports requests, errors, memory and open descriptors at start and end,
 * and exits 1 on any error, a lost datagram rate over 0.1%, or growth
 * (memory over 50% + 32 MiB, descriptors over 16).
 *
 * @module
 */

import { openStream } from "../lib/net/connect.ts";
import { type StreamConn } from "../lib/net/stream_conn.ts";
import { readFull, writeAll } from "../lib/io/streams.ts";
import { fingerprintOf, pemCertificates } from "../lib/net/tls.ts";
import { ServerProcess } from "./sockit_process.ts";

const seconds = Number(Deno.args[0] ?? "60");
const encoder = new TextEncoder();

/** Starts `sockit ARGS --port 0 --quiet`. */
function startServer(args: string[]): Promise<ServerProcess> {
  return ServerProcess.start([...args, "--port", "0", "--quiet"]);
}

/** Stops a server with SIGTERM and resolves to its exit code. */
async function stopServer(server: ServerProcess): Promise<number> {
  return (await server.stop("SIGTERM")).code;
}

async function probe(pid: number): Promise<{ rss: number; fds: number }> {
  const ps = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  let fds = -1;
  if (Deno.build.os === "linux") {
    const ls = await new Deno.Command("ls", {
      args: [`/proc/${pid}/fd`],
      stdout: "piped",
    }).output();
    fds = new TextDecoder().decode(ls.stdout).trim().split("\n").length;
  }
  return {
    rss: Number(new TextDecoder().decode(ps.stdout).trim()) * 1024,
    fds,
  };
}

interface Tally {
  requests: number;
  errors: number;
  lost: number;
}

/** A throwaway CA and a certificate for 127.0.0.1 it signed, or null without openssl. */
async function makeCertificate(
  dir: string,
): Promise<{ cert: string; key: string; ca: string; sha256: string } | null> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  const steps = [
    ["req", "-x509", ...ec, "-nodes", "-keyout", "ca.key", "-out", "ca.pem"]
      .concat(["-days", "1", "-subj", "/CN=sockit soak CA"]),
    ["req", ...ec, "-nodes", "-keyout", "key.pem", "-out", "req.csr"]
      .concat(["-subj", "/CN=localhost"]),
    ["x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key"]
      .concat(["-CAcreateserial", "-out", "cert.pem", "-days", "1"])
      .concat(["-extfile", "ext.cnf"]),
  ];
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  for (const args of steps) {
    try {
      const out = await new Deno.Command("openssl", {
        args,
        cwd: dir,
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.code !== 0) return null;
    } catch {
      return null;
    }
  }
  const cert = await Deno.readTextFile(`${dir}/cert.pem`);
  return {
    cert: `${dir}/cert.pem`,
    key: `${dir}/key.pem`,
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
    sha256: fingerprintOf(pemCertificates(cert)[0]!),
  };
}

function plainConnect(port: number): () => Promise<StreamConn> {
  return async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return conn;
  };
}

async function tcpLoad(
  connect: () => Promise<StreamConn>,
  until: number,
  tally: Tally,
): Promise<void> {
  let conn: StreamConn;
  try {
    conn = await connect();
  } catch {
    tally.errors++;
    return;
  }
  const message = encoder.encode("x".repeat(1023) + "\n");
  const reply = new Uint8Array(message.length);
  try {
    while (performance.now() < until) {
      await writeAll(conn, message);
      const n = await readFull(conn, reply);
      if (n !== message.length || reply.some((b, i) => b !== message[i])) {
        tally.errors++;
      }
      tally.requests++;
    }
  } catch {
    tally.errors++;
  } finally {
    conn.close();
  }
}

async function udpLoad(
  port: number,
  until: number,
  tally: Tally,
): Promise<void> {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const target = { transport: "udp" as const, hostname: "127.0.0.1", port };
  let pending = socket.receive();
  try {
    for (let i = 0; performance.now() < until; i++) {
      const text = `soak ${i} straße`;
      await socket.send(encoder.encode(text), target);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const got = await Promise.race([
        pending,
        new Promise<null>((r) => timer = setTimeout(() => r(null), 500)),
      ]);
      clearTimeout(timer);
      tally.requests++;
      if (got === null) {
        tally.lost++;
        continue;
      }
      pending = socket.receive();
      if (new TextDecoder().decode(got[0]) !== text.toUpperCase()) {
        tally.errors++;
      }
    }
  } finally {
    socket.close();
    await pending.catch(() => {});
  }
}

async function execLoad(
  port: number,
  until: number,
  tally: Tally,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  try {
    while (performance.now() < until) {
      const json = encoder.encode(JSON.stringify({ cmd: "echo soak" }));
      const frame = new Uint8Array(4 + json.length);
      new DataView(frame.buffer).setUint32(0, json.length, true);
      frame.set(json, 4);
      await writeAll(conn, frame);
      const prefix = new Uint8Array(4);
      await readFull(conn, prefix);
      const header = new Uint8Array(
        new DataView(prefix.buffer).getUint32(0, true),
      );
      await readFull(conn, header);
      const parsed = JSON.parse(new TextDecoder().decode(header));
      const body = new Uint8Array(parsed.total_size ?? 0);
      await readFull(conn, body);
      if (
        parsed.exit_code !== 0 || new TextDecoder().decode(body) !== "soak\n"
      ) tally.errors++;
      tally.requests++;
    }
  } catch {
    tally.errors++;
  } finally {
    conn.close();
  }
}

async function main(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-soak-" });
  try {
    return await soak(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function soak(dir: string): Promise<number> {
  const tls = await makeCertificate(dir);
  if (!tls) console.log("soak: no openssl, so no TLS echo server this time");
  const servers: Record<string, ServerProcess> = {};
  try {
    servers["tcp-echo"] = await startServer(["tcp-echo", "server"]);
    servers["udp-upper"] = await startServer([
      "udp-upper",
      "server",
      "--rate",
      "0",
    ]);
    servers.exec = await startServer(["exec", "server", "--allow", "echo"]);
    if (tls) {
      servers["tls-echo"] = await startServer([
        "tcp-echo",
        "server",
        "--tls-cert",
        tls.cert,
        "--tls-key",
        tls.key,
      ]);
    }
    return await drive(servers, tls);
  } finally {
    for (const server of Object.values(servers)) {
      await server[Symbol.asyncDispose]();
    }
  }
}

/** Drives the load on `servers`, reports, and resolves to the exit code. */
async function drive(
  servers: Record<string, ServerProcess>,
  tls: Awaited<ReturnType<typeof makeCertificate>>,
): Promise<number> {
  const tallies: Record<string, Tally> = Object.fromEntries(
    Object.keys(servers).map((
      name,
    ) => [name, { requests: 0, errors: 0, lost: 0 }]),
  );
  const tlsPort = servers["tls-echo"]?.port ?? 0;
  const target = {
    transport: "tcp" as const,
    hostname: "127.0.0.1",
    port: tlsPort,
  };
  // Deno's TLS (verified against the CA) and node:tls (pinned) by turns.
  const tlsConnect = (i: number) => () =>
    openStream(target, {
      timeoutMs: 10_000,
      tls: i % 2 ? { pin: tls!.sha256 } : { caCerts: [tls!.ca] },
    });
  const warmEnd = performance.now() + 2000;
  const load = (until: number) =>
    Promise.all([
      ...Array.from({ length: 16 }, () =>
        tcpLoad(
          plainConnect(servers["tcp-echo"]!.port),
          until,
          tallies["tcp-echo"]!,
        )),
      ...(tls
        ? Array.from({ length: 4 }, (_, i) =>
          tcpLoad(tlsConnect(i), until, tallies["tls-echo"]!))
        : []),
      ...Array.from({ length: 8 }, () =>
        udpLoad(servers["udp-upper"]!.port, until, tallies["udp-upper"]!)),
      ...Array.from({ length: 2 }, () =>
        execLoad(servers.exec!.port, until, tallies.exec!)),
    ]);
  await load(warmEnd);
  const start = Object.fromEntries(
    await Promise.all(
      Object.entries(servers).map(async ([name, s]) =>
        [name, await probe(s.pid)] as const
      ),
    ),
  );
  console.log(
    `soak: ${seconds} s of mixed load on ${
      Object.keys(servers).join(", ")
    } (after 2 s of warm-up)`,
  );
  await load(performance.now() + seconds * 1000);
  const end = Object.fromEntries(
    await Promise.all(
      Object.entries(servers).map(async ([name, s]) =>
        [name, await probe(s.pid)] as const
      ),
    ),
  );
  const exits = Object.fromEntries(
    await Promise.all(
      Object.entries(servers).map(async ([name, s]) =>
        [name, await stopServer(s)] as const
      ),
    ),
  );
  let failed = false;
  console.log(
    "service    requests  errors  lost   rss start -> end (MiB)   fds start -> end  exit",
  );
  for (const name of Object.keys(servers)) {
    const t = tallies[name]!;
    const [a, b] = [start[name]!, end[name]!];
    const mib = (n: number) => (n / 1048576).toFixed(1);
    console.log(
      `${name.padEnd(10)} ${String(t.requests).padStart(8)}  ${
        String(t.errors).padStart(6)
      }  ${String(t.lost).padStart(4)}   ${mib(a.rss).padStart(8)} -> ${
        mib(b.rss).padEnd(8)
      }     ${String(a.fds).padStart(4)} -> ${String(b.fds).padEnd(4)}       ${
        exits[name]
      }`,
    );
    const grew = b.rss > a.rss * 1.5 + 32 * 1048576 ||
      (a.fds >= 0 && b.fds > a.fds + 16);
    if (
      t.errors > 0 || t.lost > t.requests / 1000 || grew || exits[name] !== 0 ||
      t.requests === 0
    ) failed = true;
  }
  console.log(failed ? "soak: FAILED" : "soak: ok");
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
