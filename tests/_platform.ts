/**
 * What a test needs from the machine, so that on macOS and Windows a test
 * that cannot apply is skipped with its reason printed, never silently.
 *
 * @module
 */

/** Something a test needs. */
export type Need =
  | "posix"
  | "linux"
  | "nc"
  | "socat"
  | "python3"
  | "ps"
  | "openssl"
  | "gcc"
  | "hexdump"
  | "bash"
  | "zsh"
  | "fish"
  | "mandoc";

const REASONS: Record<Need, string> = {
  posix: "a POSIX system (/bin/sh, process groups, signals, unix sockets)",
  linux: "Linux (netcat-openbsd's -N, the whole 127.0.0.0/8 on loopback)",
  nc: "nc (netcat-openbsd) on PATH",
  socat: "socat on PATH",
  python3: "python3 on PATH",
  ps: "ps on PATH",
  openssl: "openssl on PATH (to make throwaway certificates)",
  gcc: "gcc on PATH (to build the C load generator)",
  hexdump: "hexdump on PATH (bsdextrautils), to compare dumps with",
  bash: "bash on PATH, to try the completions in",
  zsh: "zsh on PATH (Debian's zsh), to try the completions in",
  fish: "fish on PATH (Debian's fish), to try the completions in",
  mandoc: "mandoc on PATH (Debian's mandoc), to lint the man page",
};

const found = new Map<string, boolean>();

function onPath(program: string): boolean {
  if (!found.has(program)) {
    let ok = false;
    try {
      ok = new Deno.Command(program === "nc" ? "nc" : program, {
        args: program === "nc" ? ["-h"] : ["-V"],
        stdout: "null",
        stderr: "null",
      }).outputSync().code !== 127;
    } catch {
      ok = false;
    }
    found.set(program, ok);
  }
  return found.get(program)!;
}

function has(need: Need): boolean {
  switch (need) {
    case "posix":
      return Deno.build.os !== "windows";
    case "linux":
      return Deno.build.os === "linux";
    case "python3":
      return Deno.build.os !== "windows" && onPath("python3");
    default:
      return onPath(need);
  }
}

/**
 * Test options that skip the test, printing why, unless every need is met.
 *
 * @example
 * ```ts ignore
 * Deno.test("talks to nc", requires("linux", "nc"), async () => {});
 * ```
 */
export function requires(...needs: Need[]): { ignore: boolean } {
  const missing = needs.filter((n) => !has(n));
  if (missing.length > 0) {
    // deno-lint-ignore no-console -- a skipped test says why.
    console.log(
      `skipped on ${Deno.build.os}: needs ${
        missing.map((n) => REASONS[n]).join(" and ")
      }`,
    );
  }
  return { ignore: missing.length > 0 };
}
