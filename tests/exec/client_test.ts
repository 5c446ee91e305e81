import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { memoryIo } from "../../lib/demo/check.ts";
import { SockitError } from "../../lib/io/errors.ts";
import {
  type ExecClientOptions,
  runExecClient,
} from "../../lib/exec/client.ts";
import { writeAll } from "../../lib/io/streams.ts";
import { MemoryReader } from "../../lib/io/memory.ts";
import { withTimeout } from "../_helpers.ts";
import { frame, startExec } from "../_exec.ts";

const POSIX = requires("posix", "ps"); // Commands run through /bin/sh in process groups.

const encode = (s: string) => new TextEncoder().encode(s);

function options(
  port: number,
  extra: Partial<ExecClientOptions> = {},
): ExecClientOptions {
  return {
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port },
    command: "echo hi",
    timeoutMs: 5000,
    maxOutput: 1024 * 1024,
    ...extra,
  };
}

/** A server that reads one request and answers with `reply`, then closes. */
async function withHostileServer(
  reply: Uint8Array,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    using conn = await listener.accept();
    await conn.read(new Uint8Array(65536));
    await writeAll(conn, reply).catch(() => {});
  })();
  try {
    await run(listener.addr.port);
  } finally {
    listener.close();
    await serving;
  }
}

Deno.test(
  "the client refuses every hostile reply with a clear error and exit 255",
  POSIX,
  async (t) => {
    const prefix = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n, true);
      return b;
    };
    const raw = (json: string) =>
      new Uint8Array([...prefix(encode(json).length), ...encode(json)]);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["length 0", prefix(0), /Header length 0 is out of range/],
      [
        "length 0xffffffff",
        prefix(0xffffffff),
        /Header length 4294967295 is out of range/,
      ],
      ["invalid JSON", raw("{oops"), /not valid JSON/],
      [
        "total_size missing",
        frame({ exit_code: 0 }),
        /"total_size" must be a whole number/,
      ],
      [
        "total_size negative",
        frame({ total_size: -1 }),
        /"total_size" must be a whole number/,
      ],
      [
        "total_size fractional",
        frame({ total_size: 1.5 }),
        /"total_size" must be a whole number/,
      ],
      [
        "total_size over the limit",
        frame({ total_size: 2 ** 40 }),
        /over the limit of 1048576/,
      ],
      [
        "a __proto__ key",
        raw('{"total_size":0,"__proto__":{"polluted":true}}'),
        /"__proto__" key/,
      ],
      [
        "a header nested 5,000 deep",
        raw(`{"total_size":0,"x":${"[".repeat(5000)}${"]".repeat(5000)}}`),
        /Bad reply from tcp:\/\/127\.0\.0\.1:\d+: Header nests deeper than 32 levels/,
      ],
      [
        "sizes that do not add up",
        frame({ total_size: 4, stdout_size: 1, stderr_size: 1 }),
        /not total_size/,
      ],
      [
        "closed after half the body",
        frame({ total_size: 10, stdout_size: 10 }, encode("abcde")),
        /after 5 of 10 bytes of output; the output is incomplete/,
      ],
      [
        "a body that does not match its sha256",
        frame(
          { total_size: 2, stdout_size: 2, sha256: "0".repeat(64) },
          encode("hi"),
        ),
        /does not match its sha256/,
      ],
      [
        "a refusal",
        frame({ error: "busy", message: "try later", total_size: 0 }),
        /refused the command: busy: try later/,
      ],
    ];
    for (const [name, reply, pattern] of cases) {
      await t.step(name, async () => {
        await withHostileServer(reply, async (port) => {
          const io = memoryIo("", false);
          await assert.rejects(
            withTimeout(runExecClient(options(port), io), 10_000, "the client"),
            (err: unknown) => {
              assert.ok(err instanceof SockitError, String(err));
              assert.equal(err.exitCode, 255);
              assert.match(err.message, pattern);
              return true;
            },
          );
          assert.equal(io.stdout.bytes().length, 0, "no partial output");
        });
      });
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  },
);

Deno.test(
  "the client writes stdout and stderr byte for byte and returns the remote exit code",
  POSIX,
  async () => {
    await using server = startExec();
    const io = memoryIo("", false);
    const code = await runExecClient(
      options(server.port, {
        command: "printf 'é😀'; printf 'warn' >&2; exit 5",
      }),
      io,
    );
    assert.equal(code, 5);
    assert.equal(io.stdout.text(), "é😀");
    assert.equal(io.stderr.text(), "warn");
  },
);

Deno.test(
  "the client maps a timeout to 124 and a signal to 128 + N",
  POSIX,
  async () => {
    await using server = startExec({ timeoutMs: 300, killGraceMs: 300 });
    assert.equal(
      await runExecClient(
        options(server.port, { command: "sleep 30" }),
        memoryIo("", false),
      ),
      124,
    );
    assert.equal(
      await runExecClient(
        options(server.port, { command: "kill -KILL $$" }),
        memoryIo("", false),
      ),
      137,
    );
  },
);

Deno.test(
  "the client sends --stdin, and --json prints one object",
  POSIX,
  async () => {
    await using server = startExec();
    const io = memoryIo("", false);
    await runExecClient(
      options(server.port, {
        command: "tr a-z A-Z",
        stdin: {
          reader: new MemoryReader(encode("abc")),
          readAll: () => Promise.resolve(encode("abc")),
        },
        mode: "single",
        json: true,
      }),
      io,
    );
    const result = JSON.parse(io.stdout.text());
    assert.equal(result.stdout, "ABC");
    assert.equal(result.exit_code, 0);
    assert.equal(result.total_size, 3);
    assert.equal(io.stdout.text().trim().split("\n").length, 1);
  },
);

Deno.test(
  "the client's prompt runs each line; a refused one does not end it",
  POSIX,
  async () => {
    await using server = startExec({ allow: ["echo"] });
    const io = memoryIo("echo one\nls\necho two\nquit\necho never\n", true);
    const { command: _none, ...prompted } = options(server.port);
    const code = await runExecClient(prompted, io);
    const out = io.stdout.text();
    assert.equal(out, "cmd>> one\ncmd>> cmd>> two\ncmd>> ");
    assert.match(io.stderr.text(), /refused the command: not_allowed/);
    assert.equal(code, 0);
  },
);

Deno.test(
  "at the cmd>> prompt a command that exits non-zero shows [exit N]",
  POSIX,
  async () => {
    await using server = startExec();
    const io = memoryIo("exit 5\necho fine\n", true);
    const { command: _none, ...prompted } = options(server.port);
    const code = await runExecClient(prompted, io);
    assert.equal(code, 0, "the last command's status");
    assert.equal(io.stderr.text(), "[exit 5]\n");
    assert.match(io.stdout.text(), /cmd>> .*fine\n/s);
  },
);
