import assert from "node:assert/strict";
import {
  quoteWord,
  ShellWordsError,
  splitWords,
} from "../../lib/exec/shell_words.ts";

Deno.test("splitWords() honours quotes and backslashes", () => {
  assert.deepEqual(splitWords(`a 'b c' "d \\"e\\"" f\\ g ''`), [
    "a",
    "b c",
    'd "e"',
    "f g",
    "",
  ]);
  assert.deepEqual(splitWords("  x\t y\n"), ["x", "y"]);
  assert.deepEqual(
    splitWords(`'$HOME;|'`),
    ["$HOME;|"],
    "single quotes make operators plain",
  );
});

Deno.test("splitWords() refuses shell operators and unclosed quotes", () => {
  for (
    const cmd of [
      "ls; rm -rf /tmp/x",
      "a | b",
      "a && b",
      "a > f",
      "$HOME",
      "`id`",
      '"$(id)"',
      "*.ts",
      "'open",
      '"open',
    ]
  ) {
    assert.throws(() => splitWords(cmd), ShellWordsError, cmd);
  }
});

Deno.test("quoteWord() round-trips through splitWords()", () => {
  const words = [
    "plain",
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "a;b",
    "",
    "é😀",
  ];
  assert.deepEqual(splitWords(words.map(quoteWord).join(" ")), words);
});
