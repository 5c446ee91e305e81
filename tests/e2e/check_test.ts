import assert from "node:assert/strict";
import { parse as parseJunit } from "npm:junit2json@4.0.0";
import { Parser as TapParser } from "npm:tap-parser@18.3.4";
import { requires } from "../_platform.ts";
import { PythonPeer } from "../_helpers.ts";
import { runSockit, sockitArgv } from "../_sockit.ts";

const POSIX = requires("linux", "python3", "openssl", "ps");
const root = new URL("../../", import.meta.url);
const examples = (name: string) =>
  decodeURIComponent(new URL(`examples/${name}`, root).pathname);

/** Writes `text` as a plan in a fresh directory; the directory goes with it. */
async function planFile(text: string): Promise<{
  path: string;
  dir: string;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-check-test-" });
  const path = `${dir}/plan.yaml`;
  await Deno.writeTextFile(path, text);
  return {
    path,
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Whether a process is still alive (a zombie counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** A self-signed certificate and key in `dir` (cert.pem, key.pem), valid `days`, for `subject` and `names`. */
async function selfSigned(
  dir: string,
  days: number,
  subject: string,
  names?: string,
): Promise<void> {
  const made = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      String(days),
      "-subj",
      subject,
      ...(names ? ["-addext", `subjectAltName=${names}`] : []),
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(made.code, 0, "openssl made the certificate");
}

/**
 * A loopback server that accepts and then neither reads nor answers;
 * `connected` resolves at its first connection. Disposing closes it all.
 */
function silentServer(): {
  port: number;
  connected: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  let first = () => {};
  const connected = new Promise<void>((resolve) => first = resolve);
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      first();
    }
  })();
  return {
    port: listener.addr.port,
    connected,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of held) conn.close();
    },
  };
}

/** A service that records its own pid and a background child's, then says it is ready. */
function recordingService(dir: string, name: string): string {
  return `  ${name}:
    run: [sh, -c, "sleep 300 & echo $! > ${dir}/${name}.child; echo $$ > ${dir}/${name}.pid; echo ${name} ready; wait"]
    ready: "${name} ready"
`;
}

async function pidsOf(dir: string, name: string): Promise<number[]> {
  return [
    Number(await Deno.readTextFile(`${dir}/${name}.pid`)),
    Number(await Deno.readTextFile(`${dir}/${name}.child`)),
  ];
}

Deno.test(
  "e2e: sockit check runs sockit's own services plan: every check passes, exit 0",
  POSIX,
  async () => {
    const result = await runSockit([
      "check",
      examples("sockit_services.yaml"),
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /^ok +echo answers byte by byte through the relay/m,
    );
    assert.match(result.stdout, /^6 checks: 6 passed, 0 failed/m);
  },
);

Deno.test(
  "e2e: the typical app plan checks a TCP port, a UDP port, a TLS certificate and an exec health command",
  POSIX,
  async () => {
    await using plan = await planFile("");
    // A certificate valid 60 days, for localhost: the plan wants 30 more.
    await selfSigned(
      plan.dir,
      60,
      "/CN=localhost",
      "DNS:localhost,IP:127.0.0.1",
    );
    const result = await runSockit([
      "check",
      examples("typical_app.yaml"),
      "--var",
      `cert=${plan.dir}/cert.pem`,
      "--var",
      `key=${plan.dir}/key.pem`,
      "--var",
      `ca=${plan.dir}/cert.pem`,
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok +the certificate is valid a month more/m);
    assert.match(result.stdout, /^ok +the box has an uptime/m);
  },
);

Deno.test(
  "e2e: a failing check says what was expected against what came, exit 1; JUnit, TAP, JSON and GitHub reports read back",
  POSIX,
  async () => {
    const { peer: python, port } = await PythonPeer.start(`
import socket, json
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.recv(100)
    body = json.dumps({"status": {"ok": True, "version": "1.2"}}).encode()
    for b in body:
        c.sendall(bytes([b]))  # Many reads: judged as one.
    c.close()
`);
    await using _python = python;
    await using plan = await planFile(`checks:
  - name: status is ok
    tcp: 127.0.0.1:${port}
    send: "GET\\n"
    expect: { json: { pointer: /status/ok, equals: true }, closes: true }
  - name: version is 2
    tcp: 127.0.0.1:${port}
    send: "GET\\n"
    expect: { json: { pointer: /status/version, equals: "2.0" } }
  - name: in no time
    tcp: 127.0.0.1:${port}
    send: "GET\\n"
    expect: { contains: version, within: 0ms }
    retries: 1
    retry_delay: 10ms
`);
    const summary = `${plan.dir}/summary.md`;
    const junitFile = `${plan.dir}/junit.xml`;
    const jsonFile = `${plan.dir}/report.json`;
    const github = await runSockit([
      "check",
      plan.path,
      "--format",
      "github",
      "--report-junit",
      junitFile,
      "--report-json",
      jsonFile,
      "--jobs",
      "1",
    ], { env: { GITHUB_STEP_SUMMARY: summary } });
    assert.equal(github.code, 1, github.stderr);
    assert.match(
      github.stdout,
      new RegExp(
        `^::error file=${
          plan.path.replace(/[./]/g, "\\$&")
        },line=6,title=version is 2::expected JSON with /status/version = "2\\.0"; got `,
        "m",
      ),
    );
    assert.match(
      await Deno.readTextFile(summary),
      /\| status is ok \| pass \|/,
    );

    const junit = await parseJunit(await Deno.readTextFile(junitFile)) as {
      tests: number;
      failures: number;
      testsuite: Array<{
        name: string;
        testcase: Array<{
          name: string;
          time: number;
          failure?: Array<{ message: string }>;
        }>;
      }>;
    };
    assert.equal(junit.tests, 3);
    assert.equal(junit.failures, 2);
    const [suite] = junit.testsuite;
    assert.equal(suite!.name, plan.path);
    assert.deepEqual(suite!.testcase.map((t) => t.name), [
      "status is ok",
      "version is 2",
      "in no time",
    ]);
    assert.ok(suite!.testcase.every((t) => t.time >= 0));
    assert.match(
      suite!.testcase[1]!.failure![0]!.message,
      /expected JSON with \/status\/version = "2\.0"; got /,
    );

    const json = JSON.parse(await Deno.readTextFile(jsonFile));
    assert.equal(json.passed, 1);
    assert.equal(json.checks[1].line, 6);

    const tap = await runSockit(["check", plan.path, "--format", "tap"]);
    assert.equal(tap.code, 1);
    const results: Array<{ ok: boolean; name: string }> = [];
    const parser = new TapParser();
    parser.on("assert", (r: { ok: boolean; name: string }) => results.push(r));
    const complete = new Promise<{ ok: boolean; count: number }>((resolve) =>
      parser.on("complete", resolve)
    );
    parser.end(tap.stdout);
    const final = await complete;
    assert.equal(final.count, 3);
    assert.equal(final.ok, false);
    assert.deepEqual(results.map((r) => [r.ok, r.name]), [
      [true, "status is ok"],
      [false, "version is 2"],
      [false, "in no time"],
    ]);

    const text = await runSockit(["check", plan.path, "--jobs", "1"]);
    assert.match(
      text.stdout,
      /^FAIL version is 2 \(tcp 127\.0\.0\.1:\d+, \d+ ms\)\n {5}expected: JSON with \/status\/version = "2\.0"\n {5}got: {6}"\{\\"status\\"/m,
    );
    assert.match(
      text.stdout,
      /^FAIL in no time \(tcp 127\.0\.0\.1:\d+, \d+ ms, 2 tries\)\n {5}expected: a decision within 0 ms\n/m,
    );
    assert.match(text.stdout, /^3 checks: 1 passed, 2 failed/m);
  },
);

Deno.test(
  "e2e: a plan error is exit 2 with FILE:LINE:COLUMN, before anything starts",
  POSIX,
  async () => {
    await using plan = await planFile(`services:
  never:
    run: [sh, -c, "touch started"]
    ready: x
checks:
  - name: a
    tcp: 127.0.0.1:\${services.nope.port}
`);
    const result = await runSockit(["check", plan.path]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(
        `^sockit: ${
          plan.path.replace(/[./]/g, "\\$&")
        }:7:10: unknown service "nope"`,
      ),
    );
    const listed = await runSockit([
      "check",
      examples("sockit_services.yaml"),
      "--list",
    ]);
    assert.equal(listed.code, 0);
    assert.match(
      listed.stdout,
      /^check echo answers: tcp 127\.0\.0\.1:\$\{services\.echo\.port\} \[line \d+\]$/m,
    );
    const missing = await runSockit(["check"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /name one plan/);
  },
);

Deno.test(
  "e2e: no process outlives sockit check: checks pass, a check fails, a service dies, a check cannot fill its port",
  POSIX,
  async () => {
    await using plan = await planFile("");
    const d = plan.dir;
    const cases: Array<[string, string, number]> = [
      ["pass", "    tcp: 127.0.0.1:1\n    expect: refused\n", 0],
      ["fail", "    tcp: 127.0.0.1:1\n    expect: open\n", 1],
      ["noport", "    tcp: 127.0.0.1:${services.svc.port}\n", 1],
    ];
    for (const [name, check, code] of cases) {
      await Deno.writeTextFile(
        plan.path,
        `services:\n${
          recordingService(d, "svc")
        }checks:\n  - name: ${name}\n${check}`,
      );
      const result = await runSockit(["check", plan.path]);
      assert.equal(
        result.code,
        code,
        `${name}: ${result.stdout}${result.stderr}`,
      );
      for (const pid of await pidsOf(d, "svc")) {
        assert.ok(!(await alive(pid)), `${name}: ${pid} outlived sockit check`);
      }
    }
    // A service that dies before it is ready: its last lines are shown, exit 1.
    await Deno.writeTextFile(
      plan.path,
      `services:\n${
        recordingService(d, "first")
      }  dies:\n    run: [sh, -c, "echo about to fail; exit 3"]\n    ready: never\nchecks:\n  - { name: a, tcp: "127.0.0.1:1", expect: refused }\n`,
    );
    const died = await runSockit(["check", plan.path]);
    // One ready by its address, which exits first: no probe is left running.
    await Deno.writeTextFile(
      plan.path,
      `services:\n  gone:\n    run: [sh, -c, "exit 4"]\n    ready: { address: "127.0.0.1:1" }\nchecks:\n  - { name: a, tcp: "127.0.0.1:1", expect: refused }\n`,
    );
    const started = performance.now();
    const gone = await runSockit(["check", plan.path], { timeoutMs: 20_000 });
    assert.equal(gone.code, 1, gone.stdout + gone.stderr);
    assert.match(
      gone.stdout,
      /service "gone" exited with code 4 before it was ready/,
    );
    assert.ok(
      performance.now() - started < 10_000,
      "it ended without waiting out anything",
    );
    assert.equal(died.code, 1);
    assert.match(
      died.stdout,
      /^FAIL service "dies" exited with code 3 before it was ready\n {7}\| about to fail$/m,
    );
    for (const pid of await pidsOf(d, "first")) assert.ok(!(await alive(pid)));
  },
);

Deno.test(
  "e2e: Ctrl-C stops the checks and the services, exit 130",
  POSIX,
  async () => {
    await using plan = await planFile("");
    await using silent = silentServer();
    await Deno.writeTextFile(
      plan.path,
      `services:\n${
        recordingService(plan.dir, "svc")
      }checks:\n  - name: waits\n    tcp: 127.0.0.1:${silent.port}\n    send: hi\n    expect: { equals: never }\n    timeout: 60s\n`,
    );
    const [program, ...args] = sockitArgv();
    const child = new Deno.Command(program!, {
      args: [...args, "check", plan.path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await silent.connected; // The check is connected.
    child.kill("SIGINT");
    const output = await child.output();
    assert.equal(output.code, 130, new TextDecoder().decode(output.stderr));
    assert.match(
      new TextDecoder().decode(output.stdout),
      /interrupted: services stopped/,
    );
    for (const pid of await pidsOf(plan.dir, "svc")) {
      assert.ok(!(await alive(pid)), `${pid} outlived Ctrl-C`);
    }
  },
);

Deno.test(
  "e2e: a reply flood, a server that never answers, a service that floods its output and never gets ready: each ends with a clear line",
  POSIX,
  async () => {
    const { peer: flooder, port: floodPort } = await PythonPeer.start(`
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    try:
        while True: c.sendall(b"x" * 65536)
    except OSError:
        c.close()
`);
    await using _flooder = flooder;
    await using silent = silentServer();
    const closer = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // Accepts, closes at once.
    const closerPort = closer.addr.port;
    const closing = (async () => {
      for await (const conn of closer) conn.close();
    })();
    await using plan = await planFile(`services:
  chatty:
    run: [sh, -c, "yes 'a line of output nobody reads'"]
    ready: "never printed"
    timeout: 2s
checks:
  - { name: a, tcp: "127.0.0.1:1", expect: refused }
`);
    await Deno.writeFile(`${plan.dir}/big`, new Uint8Array(32 * 1024 * 1024));
    try {
      const service = await runSockit(["check", plan.path]);
      assert.equal(service.code, 1);
      assert.match(
        service.stdout,
        /^FAIL service "chatty" was not ready within 2 s \(no line matched \/never printed\/\)$/m,
      );
      assert.match(service.stdout, /\(\d+ more bytes not kept\)/);
      await Deno.writeTextFile(
        plan.path,
        `checks:
  - name: flood
    tcp: 127.0.0.1:${floodPort}
    expect: { contains: "y" }
  - name: silent
    tcp: 127.0.0.1:${silent.port}
    send: hi
    expect: { equals: hi }
    timeout: 500ms
  - name: never reads
    tcp: 127.0.0.1:${silent.port}
    send: { file: ${plan.dir}/big }
    expect: open
    timeout: 500ms
  - name: hangs up
    tcp: 127.0.0.1:${closerPort}
    send: { base64: aGk= }
    expect: closed
`,
      );
      const result = await runSockit(["check", plan.path]);
      assert.equal(result.code, 1);
      assert.match(
        result.stdout,
        /^FAIL flood .*\n {5}expected: contains "y"\n {5}got: {6}"x{200}" \(\+1048376 bytes\) \(read stopped at the 1048576-byte cap: max_bytes\)$/m,
      );
      assert.match(
        result.stdout,
        /^FAIL silent .*\n {5}expected: equals "hi"\n {5}got: {6}"" \(no decision within 500 ms\)$/m,
      );
      assert.match(
        result.stdout,
        /^FAIL never reads .*\n {5}expected: the connection open\n {5}got: {6}the peer did not take what was sent within 500 ms$/m,
      );
      assert.match(result.stdout, /^ok +hangs up /m);
    } finally {
      closer.close();
      await closing.catch(() => {});
    }
  },
);

Deno.test(
  "e2e: unix probes, TLS by pin, insecure and subject, and exec with a token from the environment",
  POSIX,
  async () => {
    await using plan = await planFile("");
    const d = plan.dir;
    await selfSigned(d, 3, "/CN=checked.test/O=sockit");
    const fingerprint = new TextDecoder().decode(
      (await new Deno.Command("openssl", {
        args: [
          "x509",
          "-in",
          `${d}/cert.pem`,
          "-noout",
          "-fingerprint",
          "-sha256",
        ],
        stdout: "piped",
      }).output()).stdout,
    ).trim().replace(/^.*=/, "");
    await Deno.writeTextFile(
      plan.path,
      `services:
  sock:
    run: sockit tcp-echo server --unix ${d}/echo.sock
    ready: listening
  tls:
    run: sockit tcp-echo server --port 0 --tls-cert ${d}/cert.pem --tls-key ${d}/key.pem
    ready: listening
  box:
    run: sockit exec server --port 0 --allow echo
    ready: listening
    env: { SOCKIT_TOKEN: s3cret }
  six:
    run: sockit tcp-echo server --host ::1 --port 0
    ready: listening
checks:
  - name: the port of an IPv6 ready line
    tcp: "[::1]:\${services.six.port}"
    send: v6
    expect: { equals: v6 }
  - name: unix echo
    unix: ${d}/echo.sock
    send: "over a file\\n"
    expect: { equals: "over a file\\n" }
  - name: pinned
    tls: 127.0.0.1:\${services.tls.port}
    tls_pin: "${fingerprint}"
    send: hi
    expect: { equals: hi, cert_subject: "CN=checked\\\\.test" }
  - name: insecure, but a week is too long
    tls: 127.0.0.1:\${services.tls.port}
    tls_insecure: true
    expect: { cert_valid_for: 7d }
  - name: token from the environment
    exec: 127.0.0.1:\${services.box.port}
    token: { env: BOX_TOKEN }
    cmd: [echo, let in]
    expect: { exit_code: 0, stdout: { equals: "let in\\n" } }
`,
    );
    const result = await runSockit(["check", plan.path], {
      env: { BOX_TOKEN: "s3cret" },
    });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^ok +unix echo /m);
    assert.match(
      result.stdout,
      /^ok +the port of an IPv6 ready line \(tcp \[::1\]:\d{2,}/m,
    );
    assert.match(result.stdout, /^ok +pinned /m);
    assert.match(result.stdout, /^ok +token from the environment /m);
    assert.match(
      result.stdout,
      /^FAIL insecure, but a week is too long .*\n {5}expected: a certificate valid 7 days more\n {5}got: {6}2 days left/m,
    );
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
  },
);

Deno.test(
  "e2e: sockit check | head -1: the reader goes away, sockit check exits 141 and stops its services",
  POSIX,
  async () => {
    await using plan = await planFile("");
    const checks = Array.from(
      { length: 5 },
      (_, i) =>
        `  - { name: c${i}, tcp: "127.0.0.1:1", expect: refused${
          i > 0 ? `, after: c${i - 1}` : ""
        } }`,
    ).join("\n");
    await Deno.writeTextFile(
      plan.path,
      `services:\n${recordingService(plan.dir, "svc")}checks:\n${checks}\n`,
    );
    const command = `${
      sockitArgv().map((w) => `'${w}'`).join(" ")
    } check '${plan.path}' | head -1; echo "status=\${PIPESTATUS[0]}"`;
    const output = await new Deno.Command("bash", {
      args: ["-c", command],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.match(
      stdout,
      /^ok +c0 .*\nstatus=141\n$/,
      new TextDecoder().decode(output.stderr),
    );
    assert.equal(new TextDecoder().decode(output.stderr), "");
    for (const pid of await pidsOf(plan.dir, "svc")) {
      assert.ok(!(await alive(pid)), `${pid} outlived sockit check`);
    }
  },
);
