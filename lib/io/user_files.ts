/**
 * Files a user names on the command line (`--token-file`, `--tls-cert`,
 * `--trace-file`), opened the way a user expects: `/dev/stdin`,
 * `/dev/stdout` and `/dev/stderr` (and `/dev/fd/0`-`2`, `/proc/self/fd/0`-`2`)
 * are this process's own streams, and a path the runtime will not open (a
 * device, a process substitution such as `<(cmd)`) is refused in sockit's
 * words, with what works instead, never with Deno's permission advice.
 *
 * @module
 */

/**
 * Which of the process's standard streams a path names, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { standardStream } from "./user_files.ts";
 * assert.equal(standardStream("/dev/fd/1"), "stdout");
 * assert.equal(standardStream("/tmp/x"), undefined);
 * ```
 */
export function standardStream(
  path: string,
): "stdin" | "stdout" | "stderr" | undefined {
  const match = path.match(
    /^(?:\/dev\/(stdin|stdout|stderr)|\/dev\/fd\/([0-2])|\/proc\/self\/fd\/([0-2]))$/,
  );
  if (!match) return undefined;
  if (match[1]) return match[1] as "stdin" | "stdout" | "stderr";
  return (["stdin", "stdout", "stderr"] as const)[
    Number(match[2] ?? match[3])
  ];
}

/**
 * What to say when the runtime refused a path a user gave: `undefined` for
 * any other error. Deno refuses devices and `/proc` without `--allow-all`,
 * which sockit never asks for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusedPath } from "./user_files.ts";
 * const err = new Deno.errors.NotCapable('Requires all access to "/dev/fd/63", run again with the --allow-all flag');
 * assert.match(refusedPath(err, "read")!, /regular file/);
 * assert.equal(refusedPath(new Deno.errors.NotFound("x"), "read"), undefined);
 * ```
 */
export function refusedPath(
  err: unknown,
  use: "read" | "write",
): string | undefined {
  const refused = err instanceof Deno.errors.NotCapable ||
    (err instanceof Error && /--allow-all|run again with/.test(err.message));
  if (!refused) return undefined;
  return use === "read"
    ? "sockit reads regular files and /dev/stdin only, not devices or <(...) process substitutions; write it to a file first"
    : "sockit writes to regular files, /dev/stdout and /dev/stderr only, not other devices; give a file path";
}

/**
 * Reads a text file a user named; `/dev/stdin` reads standard input.
 * Throws a {@linkcode UserFileError} that says why, and what works.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readUserText } from "./user_files.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hi");
 * assert.equal(await readUserText(path), "hi");
 * await Deno.remove(path);
 * ```
 */
export async function readUserText(path: string): Promise<string> {
  try {
    if (standardStream(path) === "stdin") {
      return await new Response(Deno.stdin.readable).text();
    }
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new UserFileError(refusedPath(err, "read") ?? describe(err), {
      cause: err,
    });
  }
}

/**
 * Opens a file a user named for writing (made or emptied);
 * `/dev/stdout` and `/dev/stderr` are the process's own streams, which
 * closing leaves open.
 *
 * @example
 * ```ts
 * import { openUserFileForWriting } from "./user_files.ts";
 * using out = openUserFileForWriting("/dev/stderr");
 * ```
 */
export function openUserFileForWriting(
  path: string,
): { writeSync(p: Uint8Array): number } & Disposable {
  const stream = standardStream(path);
  if (stream === "stdout" || stream === "stderr") {
    const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
    return {
      writeSync: (p) => file.writeSync(p),
      [Symbol.dispose]: () => {},
    };
  }
  try {
    const file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: true,
    });
    return {
      writeSync: (p) => file.writeSync(p),
      [Symbol.dispose]: () => file.close(),
    };
  } catch (err) {
    throw new UserFileError(refusedPath(err, "write") ?? describe(err), {
      cause: err,
    });
  }
}

function describe(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return (err as Error).message.replace(/ \(os error \d+\)$/, "");
}

/** A file a user named cannot be used; the message says why, in words for the end of a line. */
export class UserFileError extends Error {
  override name = "UserFileError";
}
