/**
 * Shell-style words without a shell, for the exec server's allowlist mode:
 * split a command into words honouring single quotes, double quotes and
 * backslashes, and refuse what only a shell could do (pipes, redirects,
 * command lists, globs, variables, substitutions). Also quoting, for the
 * client that turns `-- PROG ARGS...` into one command string. Pure.
 *
 * @module
 */

/** A command that cannot be split into plain words. */
export class ShellWordsError extends Error {
  override name = "ShellWordsError";
}

/** Characters that mean something to a shell when unquoted. */
const OPERATORS = new Set([..."|&;<>()$`*?[]{}~#!"]);

/**
 * Splits `command` into words, or throws a {@linkcode ShellWordsError} for an
 * unclosed quote or an unquoted shell operator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitWords } from "./shell_words.ts";
 * assert.ok(splitWords(`ls -l 'my file' "a b"`).join("|") === "ls|-l|my file|a b");
 * ```
 */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const chars = Array.from(command);
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = chars.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError("Unclosed single quote");
      word = (word ?? "") + chars.slice(i + 1, end).join("");
      i = end + 1;
    } else if (c === '"') {
      const [text, next] = readDoubleQuoted(chars, i + 1);
      word = (word ?? "") + text;
      i = next;
    } else if (c === "\\") {
      if (i + 1 >= chars.length) {
        throw new ShellWordsError("Trailing backslash");
      }
      word = (word ?? "") + chars[i + 1];
      i += 2;
    } else if (OPERATORS.has(c)) {
      throw new ShellWordsError(
        `Shell operator "${c}" is not allowed: no shell runs in allowlist mode`,
      );
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function readDoubleQuoted(chars: string[], start: number): [string, number] {
  let text = "";
  for (let i = start; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '"') return [text, i + 1];
    if (c === "$" || c === "`") {
      throw new ShellWordsError(
        `Shell operator "${c}" is not allowed: no shell runs in allowlist mode`,
      );
    }
    if (c === "\\" && i + 1 < chars.length && '"\\$`'.includes(chars[i + 1]!)) {
      text += chars[++i];
    } else {
      text += c;
    }
  }
  throw new ShellWordsError("Unclosed double quote");
}

/**
 * Quotes one word for `/bin/sh` so it stays one word, as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteWord } from "./shell_words.ts";
 * assert.ok(quoteWord("ls") === "ls");
 * assert.ok(quoteWord("it's") === `'it'\\''s'`);
 * ```
 */
export function quoteWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
