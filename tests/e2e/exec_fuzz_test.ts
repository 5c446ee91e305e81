/**
 * A bounded network fuzz of the exec server's request parser: random and
 * mutated frames from parallel clients for SOCKIT_FUZZ_SECONDS (default 20).
 * The server runs with `--allow echo`, so even a mutation that happens to be
 * a valid request can only run echo. It must never crash, never run a
 * command from a malformed frame, and keep its memory bounded.
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { writeAll } from "../../lib/io/streams.ts";
import { frame, request } from "../_exec.ts";
import { withTimeout } from "../_helpers.ts";
import { requires } from "../_platform.ts";
import { ServerProcess } from "../_sockit.ts";

const SECONDS = Number(Deno.env.get("SOCKIT_FUZZ_SECONDS") ?? "20");
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** The test's own reading of what the server may run: a well-formed frame, or a legacy text command. */
function runnableCommand(bytes: Uint8Array): string | null {
  if (bytes.length >= 4 && bytes[3] === 0) {
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(
      0,
      true,
    );
    if (length < 2 || length > 65536 || bytes.length < 4 + length) return null;
    try {
      const header = JSON.parse(
        strictDecoder.decode(bytes.subarray(4, 4 + length)),
      );
      if (
        typeof header !== "object" || header === null || Array.isArray(header)
      ) return null;
      return typeof header.cmd === "string" && !header.cmd.includes("\0")
        ? header.cmd
        : null;
    } catch {
      return null;
    }
  }
  try {
    const text = strictDecoder.decode(bytes);
    return text.includes("\0") ? null : text;
  } catch {
    return null;
  }
}

async function rss(pid: number): Promise<number> {
  const output = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(output.stdout).trim()) * 1024;
}

const inputs = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }),
  fc.tuple(
    fc.string({ maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      maxLength: 3,
    }),
  )
    .map(([word, flips]) => {
      const bytes = frame({ cmd: `echo ${word}`, timeout_ms: 2000 });
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes;
    }),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 64 })).map(
    ([length, rest]) => {
      const bytes = new Uint8Array(4 + rest.length);
      new DataView(bytes.buffer).setUint32(0, length, true);
      bytes.set(rest, 4);
      return bytes;
    },
  ),
  fc.string({ maxLength: 30 }).map((s) => frame({ cmd: s })),
);

Deno.test(
  `exec fuzz: ${SECONDS} s of random and mutated frames; no crash, nothing malformed runs`,
  requires("linux", "ps"),
  async () => {
    await using server = await ServerProcess.start([
      "exec",
      "server",
      "--port",
      "0",
      "--allow",
      "echo",
      "--header-timeout",
      "0.3",
      "--max-concurrent",
      "8",
      "--log-format",
      "json",
    ]);
    const pid = server.child.pid;
    const deadline = performance.now() + SECONDS * 1000;
    let sent = 0;
    let ran = 0;
    let baseline = 0;
    const worker = async (seed: number) => {
      const random = fc.sample(inputs, { numRuns: 100_000, seed });
      for (const bytes of random) {
        if (performance.now() > deadline) return;
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.port,
        });
        try {
          await writeAll(conn, bytes);
          const reply = await withTimeout(
            readAll(conn),
            10_000,
            "the server to answer or close",
          );
          sent++;
          const ranSomething = reply.length > 0 && isResult(reply);
          if (ranSomething) {
            ran++;
            const cmd = runnableCommand(bytes);
            assert.ok(
              cmd !== null,
              `ran a command from a malformed request: ${
                JSON.stringify([...bytes.slice(0, 40)])
              }`,
            );
          }
        } finally {
          conn.close();
        }
        if (sent === 200) baseline = await rss(pid);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => worker(i + 1)));
    assert.equal(
      await Promise.race([
        server.child.status.then(() => "exited"),
        Promise.resolve("running"),
      ]),
      "running",
    );
    using ok = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    assert.equal(
      (await request(ok, { cmd: "echo still up" })).stdout,
      "still up\n",
    );
    const end = await rss(pid);
    assert.ok(sent > 200, `only ${sent} requests in ${SECONDS} s`);
    assert.ok(
      end < baseline + 64 * 1024 * 1024,
      `rss grew from ${baseline} to ${end} over ${sent} requests`,
    );
    // deno-lint-ignore no-console -- the fuzz run's size, for the log.
    console.log(
      `fuzzed ${sent} requests (${ran} ran echo); rss ${baseline} -> ${end} bytes`,
    );
  },
);

/** Reads until the server closes the connection or one whole reply has arrived. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: number[] = [];
  const buffer = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return new Uint8Array(chunks);
    chunks.push(...buffer.subarray(0, n));
    if (chunks.length >= 4) {
      const length = new DataView(new Uint8Array(chunks).buffer).getUint32(
        0,
        true,
      );
      if (chunks.length >= 4 + length) {
        const header = JSON.parse(
          new TextDecoder().decode(new Uint8Array(chunks.slice(4, 4 + length))),
        );
        if (chunks.length >= 4 + length + header.total_size) {
          return new Uint8Array(chunks);
        }
      }
    }
  }
}

function isResult(reply: Uint8Array): boolean {
  const length = new DataView(reply.buffer).getUint32(0, true);
  const header = JSON.parse(
    new TextDecoder().decode(reply.subarray(4, 4 + length)),
  );
  return header.error === undefined;
}
