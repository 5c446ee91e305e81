/**
 * The Markdown a user reads points only at what exists: every relative link
 * (and its `#anchor`) and every `path/to/file` named in backticks.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

async function markdown(): Promise<string[]> {
  const inDir = async (dir: string) =>
    (await Array.fromAsync(Deno.readDir(new URL(dir, ROOT))))
      .filter((e) => e.isFile && e.name.endsWith(".md"))
      .map((e) => `${dir}${e.name}`);
  return [
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    ...(await inDir("docs/")),
    ...(await inDir("bench/")),
  ];
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

async function anchors(file: URL): Promise<Set<string>> {
  const text = await Deno.readTextFile(file);
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)),
  );
}

const exists = (url: URL) => Deno.stat(url).then(() => true, () => false);

Deno.test("every relative link in the Markdown files leads to a file, and its anchor to a heading", async () => {
  let checked = 0;
  for (const file of await markdown()) {
    const base = new URL(file, ROOT);
    const text = (await Deno.readTextFile(base)).replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split("#");
      const url = path ? new URL(path, base) : base;
      assert.ok(
        await exists(url),
        `${file} links to ${target}, which does not exist`,
      );
      if (anchor && url.pathname.endsWith(".md")) {
        assert.ok(
          (await anchors(url)).has(anchor),
          `${file} links to ${target}: no such heading`,
        );
      }
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} links`);
});

Deno.test("every path/to/file the Markdown files name in backticks exists", async () => {
  const named =
    /`((?:lib|tests|scripts|docs|bench|deploy|\.github|\.ci)\/[\w./-]*|main\.ts|deno\.json|\.deno-version)`/g;
  let checked = 0;
  for (const file of await markdown()) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const [, path] of text.matchAll(named)) {
      if (path!.includes("/.build/")) continue; // Built by deno task bench.
      assert.ok(
        await exists(new URL(path!, ROOT)),
        `${file} names ${path}, which does not exist`,
      );
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} paths`);
});

Deno.test("README stays a five-minute read: at most 250 lines", async () => {
  const lines = (await Deno.readTextFile(new URL("README.md", ROOT))).split(
    "\n",
  );
  assert.ok(lines.length <= 250, `README.md has ${lines.length} lines`);
});
