/**
 * The GitHub workflows, checked where the schema check in .ci/run cannot
 * look: every runner label is one GitHub hosts today, every third-party
 * action is pinned to a full commit SHA with its version beside it, and
 * only the job that uploads the release may write to the repository.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/**
 * The GitHub-hosted runner labels, as the "Available Images" table of
 * actions/runner-images' README lists them (snapshot of 2026-08-21,
 * commit 749514466b4f51b7dc8d9f1cda62257dcf13d183; GitHub's documentation,
 * "GitHub-hosted runners", gives the same list). A retired label (`macos-13`,
 * `ubuntu-20.04`, `windows-2019`) is not here, so a workflow that still names
 * one fails this test instead of waiting for a runner that never comes.
 */
export const GITHUB_HOSTED_LABELS: readonly string[] = [
  "ubuntu-latest",
  "ubuntu-slim",
  "ubuntu-26.04",
  "ubuntu-24.04",
  "ubuntu-22.04",
  "ubuntu-26.04-arm",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "windows-latest",
  "windows-2025",
  "windows-2025-vs2026",
  "windows-2022",
  "windows-11-arm",
  "windows-11-vs2026-arm",
  "macos-latest",
  "macos-latest-large",
  "macos-26",
  "macos-26-intel",
  "macos-26-large",
  "macos-26-xlarge",
  "macos-15",
  "macos-15-intel",
  "macos-15-large",
  "macos-15-xlarge",
  "macos-14",
  "macos-14-large",
  "macos-14-xlarge",
];

/** The runner labels a workflow names: `runs-on:` values and matrix `os` entries. */
export function runnerLabels(workflow: string): string[] {
  const labels: string[] = [];
  for (const line of workflow.split("\n")) {
    const runsOn = line.match(/^\s*runs-on:\s*([^\s#]+)/)?.[1];
    if (runsOn && !runsOn.startsWith("${{")) labels.push(runsOn);
    const list = line.match(/^\s*os:\s*\[([^\]]*)\]/)?.[1];
    if (list) labels.push(...list.split(",").map((s) => s.trim()));
    const inline = line.match(/[{,]\s*os:\s*([\w.-]+)/)?.[1];
    if (inline) labels.push(inline);
  }
  return labels;
}

async function workflows(): Promise<Array<[string, string]>> {
  const files: Array<[string, string]> = [];
  const dir = new URL(".github/workflows/", ROOT);
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".yml")) {
      files.push([
        entry.name,
        await Deno.readTextFile(new URL(entry.name, dir)),
      ]);
    }
  }
  assert.ok(files.length >= 2, "the CI and release workflows");
  return files;
}

Deno.test("runnerLabels() finds runs-on, matrix lists and include entries; a retired label is caught", () => {
  const workflow = [
    "    runs-on: ubuntu-latest",
    "    runs-on: ${{ matrix.os }}",
    "        os: [macos-latest, windows-latest]",
    '          - { os: macos-13, target: x86_64-apple-darwin, exe: "" }',
  ].join("\n");
  const labels = runnerLabels(workflow);
  assert.deepEqual(labels, [
    "ubuntu-latest",
    "macos-latest",
    "windows-latest",
    "macos-13",
  ]);
  assert.deepEqual(
    labels.filter((l) => !GITHUB_HOSTED_LABELS.includes(l)),
    ["macos-13"],
  );
});

Deno.test("every workflow runs on labels GitHub hosts today", async () => {
  for (const [name, text] of await workflows()) {
    const labels = runnerLabels(text);
    assert.ok(labels.length > 0, `${name} names no runner`);
    for (const label of labels) {
      assert.ok(
        GITHUB_HOSTED_LABELS.includes(label),
        `${name}: runner label "${label}" is not a GitHub-hosted label (retired or misspelt)`,
      );
    }
  }
});

Deno.test("every action is pinned to a full commit SHA with its version beside it", async () => {
  for (const [name, text] of await workflows()) {
    for (const match of text.matchAll(/uses:\s*(\S+)(.*)$/gm)) {
      const [action, ref] = match[1]!.split("@");
      assert.match(
        ref ?? "",
        /^[0-9a-f]{40}$/,
        `${name}: ${action} is not pinned to a SHA`,
      );
      assert.match(
        match[2]!,
        /# v\d+(\.\d+)*/,
        `${name}: ${action} has no version comment`,
      );
    }
  }
});

Deno.test("only the release job may write; node is not the end-of-life 20", async () => {
  for (const [name, text] of await workflows()) {
    assert.match(
      text,
      /^permissions:\n\s+contents: read$/m,
      `${name}: read-only by default`,
    );
    const writes = [...text.matchAll(/contents: write/g)].length;
    assert.equal(writes, name === "release.yml" ? 1 : 0, name);
    assert.doesNotMatch(text, /node-version: 20\b/, name);
  }
  const release = (await workflows()).find(([n]) => n === "release.yml")![1];
  const job = release.slice(release.indexOf("\n  release:"));
  assert.match(
    job,
    /permissions:\n\s+contents: write/,
    "granted to the release job itself",
  );
});
