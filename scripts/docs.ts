/**
 * `deno task docs`: writes what is generated from the command definitions:
 * `docs/REFERENCE.md`, the man page `docs/sockit.1`, and the completions in
 * `docs/completions/`. `tests/cli/reference_test.ts` fails when a committed
 * file differs from what this writes.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };
import { completionScript } from "../lib/cli/completions.ts";
import { manPage, referenceMarkdown } from "../lib/cli/reference.ts";
import { RELEASE_DATE, SERVICES } from "../lib/services.ts";
import { LIMITS } from "../lib/limits.ts";

/** Each generated file, by its path from the repository's root, and its text. */
export function generatedDocs(): Array<[string, string]> {
  return [
    ["docs/REFERENCE.md", referenceMarkdown(SERVICES, LIMITS)],
    [
      "docs/sockit.1",
      manPage(SERVICES, denoConfig.version, RELEASE_DATE, LIMITS),
    ],
    ["docs/completions/sockit.bash", completionScript("bash", SERVICES)],
    ["docs/completions/_sockit", completionScript("zsh", SERVICES)],
    ["docs/completions/sockit.fish", completionScript("fish", SERVICES)],
  ];
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  for (const [path, text] of generatedDocs()) {
    await Deno.writeTextFile(new URL(path, root), text);
    // deno-lint-ignore no-console -- the task says what it wrote.
    console.log(`wrote ${path}`);
  }
}
