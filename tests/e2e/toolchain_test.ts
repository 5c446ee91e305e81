import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);
const pinned = (await Deno.readTextFile(new URL(".deno-version", root))).trim();

Deno.test("the tests run on the Deno version pinned in .deno-version", () => {
  assert.match(pinned, /^\d+\.\d+\.\d+$/);
  assert.equal(
    Deno.version.deno,
    pinned,
    "run the tests with `npx -y deno@VERSION task test`",
  );
});

Deno.test("README's first two commands use the pinned Deno: demo, then test", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const commands = [...readme.matchAll(/^(npx -y deno@\S+ task \S+)$/gm)].map((
    m,
  ) => m[1]);
  assert.deepEqual(commands.slice(0, 2), [
    `npx -y deno@${pinned} task demo`,
    `npx -y deno@${pinned} task test`,
  ]);
});

Deno.test(".ci/run installs the pinned Deno and runs README's test command", async () => {
  const ci = await Deno.readTextFile(new URL(".ci/run", root));
  assert.match(ci, /\.deno-version/);
  assert.match(ci, /npx -y "deno@\$DENO_VERSION" task test/);
});

Deno.test("the test task keeps Deno's op and resource sanitizers on", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  assert.match(config.tasks.test, /--sanitize-ops/);
  assert.match(config.tasks.test, /--sanitize-resources/);
});
