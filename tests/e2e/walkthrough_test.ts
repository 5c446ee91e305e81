/**
 * README's walk-through, "the sticky packet, made and cured", runs as a
 * reader would paste it: the one `bash` block of that section, with
 * `sockit` on PATH, its ports 9000 to 9003 swapped for free ones, in a
 * fresh directory. What it prints must be what the section says it prints.
 */
import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { writeSockitWrapper } from "../_sockit.ts";
import { withTimeout } from "../_helpers.ts";

const ROOT = new URL("../../", import.meta.url);

function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  return port;
}

Deno.test(
  "The guide's walk-through runs as written: two writes arrive as one read through --coalesce, exec is framed through --chunk 1",
  requires("linux"),
  async () => {
    const readme = await Deno.readTextFile(new URL("docs/GUIDE.md", ROOT));
    const section = readme.split("### Walk-through: the sticky packet")[1]!;
    let script = section.match(/```bash\n([\s\S]*?)```/)![1]!;
    for (const documented of [9000, 9001, 9002, 9003]) {
      script = script.replaceAll(String(documented), String(freePort()));
    }
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/bin`);
      await writeSockitWrapper(`${dir}/bin`);
      const child = new Deno.Command("setsid", {
        args: ["bash", "-c", script],
        cwd: dir,
        env: { PATH: `${dir}/bin:${Deno.env.get("PATH")}` },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let output: Deno.CommandOutput;
      try {
        output = await withTimeout(child.output(), 60_000, "the walk-through");
      } finally {
        try {
          Deno.kill(-child.pid, "SIGKILL"); // Whatever it left running.
        } catch {
          // It stopped all it started.
        }
      }
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      assert.match(
        stdout,
        /^first\nsecond\n/m,
        "the client got its bytes back",
      );
      assert.match(stdout, /^still framed$/m, "exec through --chunk 1");
      const reads = stdout.split("\n").filter((l) =>
        / recv \d+ bytes?$/.test(l)
      );
      assert.equal(reads.length, 1, `one read with data:\n${stdout}`);
      assert.match(
        reads[0]!,
        /^\+\d+\.\d+s #\d 127\.0\.0\.1:\d+ recv 13 bytes$/,
      );
      assert.match(
        stdout,
        /66 69 72 73 74 0a 73 65 {2}63 6f 6e 64 0a {11}\|first\.second\.\|/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
