/**
 * Where a token comes from, for the exec server that requires one and the
 * clients that send one (`sockit exec client`, `sockit bench exec`):
 * `--token-file`, else `SOCKIT_TOKEN`, never a command-line value, which
 * `ps` would show; and the rule that a client never sends it over
 * `--tls-insecure`.
 *
 * @module
 */

import { text } from "../cli/option.ts";
import { UsageError } from "../io/errors.ts";
import { readUserText } from "../io/user_files.ts";

/**
 * Where the token comes from: `--token-file`, else `SOCKIT_TOKEN` (never
 * a command-line value, which `ps` would show).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenOptions } from "./token_options.ts";
 * assert.ok(tokenOptions("Send").token.env === "SOCKIT_TOKEN");
 * ```
 */
export function tokenOptions(verb: "Require" | "Send") {
  return {
    tokenFile: text({
      help: `${verb} the token on this file's first line (or set SOCKIT_TOKEN)`,
      value: "PATH",
    }),
    token: text({
      help: "The token, when --token-file is not given",
      env: "SOCKIT_TOKEN",
    }),
  };
}

/**
 * A client never sends its token over `--tls-insecure`.
 *
 * @example
 * ```ts
 * import { refuseInsecureToken } from "./token_options.ts";
 * refuseInsecureToken({ tlsInsecure: true }, undefined);
 * ```
 */
export function refuseInsecureToken(
  values: { tlsInsecure: boolean },
  token: string | undefined,
): void {
  if (token !== undefined && values.tlsInsecure) {
    throw new UsageError(
      "Option --tls-insecure would send the token to whoever answers: use --tls-ca or --tls-pin",
    );
  }
}

/**
 * The token: the first line of `--token-file` (trimmed), else the value of
 * `SOCKIT_TOKEN` (`fromEnv`), else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadToken } from "./token_options.ts";
 * assert.ok((await loadToken(undefined, "s3cret")) === "s3cret");
 * ```
 */
export async function loadToken(
  tokenFile: string | undefined,
  fromEnv: string | undefined,
): Promise<string | undefined> {
  if (tokenFile === undefined) return fromEnv;
  let text: string;
  try {
    text = await readUserText(tokenFile);
  } catch (err) {
    throw new UsageError(
      `Cannot read --token-file "${tokenFile}": ${(err as Error).message}`,
    );
  }
  const token = text.split("\n")[0]!.trim();
  if (token === "") {
    throw new UsageError(
      `The --token-file "${tokenFile}" is empty: put the token on its first line`,
    );
  }
  return token;
}
