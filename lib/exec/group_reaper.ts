/**
 * Makes sure no command outlives the exec server, even one killed with
 * SIGKILL: a tiny detached `/bin/sh` (the reaper) reads `+PGID` and `-PGID`
 * lines from a pipe whose other end only the server holds. When that pipe
 * closes, because the server exited or was killed, the reaper kills every
 * process group still listed, then exits.
 *
 * What it does not cover: a group started in the instant between spawn and
 * its `+PGID` line reaching the pipe, and a command that starts a session of
 * its own (`setsid`).
 *
 * @module
 */

import { SockitError } from "../io/errors.ts";

/**
 * The reaper's script: track groups, kill what is left at end of input. Only
 * shell builtins per line: a fork per finished command would halve the spawn rate.
 */
export const REAPER_SCRIPT = [
  "trap '' INT TERM HUP",
  'groups=" "',
  "while read -r line; do",
  '  case "$line" in',
  '    +*) groups="$groups${line#+} " ;;',
  '    -*) g=${line#-}; case "$groups" in *" $g "*) groups="${groups%% $g *} ${groups#* $g }" ;; esac ;;',
  "  esac",
  "done",
  'for g in $groups; do kill -KILL -"$g" 2>/dev/null; done',
].join("\n");

/**
 * A reaper process for the process groups of running commands.
 *
 * @example
 * ```ts ignore
 * import { GroupReaper } from "./group_reaper.ts";
 * await using reaper = GroupReaper.start();
 * await reaper.add(pgid);
 * await reaper.remove(pgid);
 * ```
 */
export class GroupReaper implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Promise<void> = Promise.resolve();

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
  }

  /** Starts the reaper in a session of its own, so terminal signals do not reach it. */
  static start(): GroupReaper {
    let child: Deno.ChildProcess;
    try {
      child = GroupReaper.#spawn();
    } catch (err) {
      throw new SockitError(
        `The exec server needs /bin/sh (a POSIX system): ${
          (err as Error).message
        }`,
      );
    }
    return new GroupReaper(child);
  }

  static #spawn(): Deno.ChildProcess {
    return new Deno.Command("/bin/sh", {
      args: ["-c", REAPER_SCRIPT],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
      detached: true,
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    }).spawn();
  }

  /** Records a running group. */
  add(pgid: number): Promise<void> {
    return this.#send(`+${pgid}\n`);
  }

  /** Forgets a finished group. */
  remove(pgid: number): Promise<void> {
    return this.#send(`-${pgid}\n`);
  }

  #send(line: string): Promise<void> {
    this.#queue = this.#queue.then(() =>
      this.#writer.write(new TextEncoder().encode(line))
    ).catch(() => {});
    return this.#queue;
  }

  /** Closes the pipe (the reaper kills what is still listed) and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#queue;
    await this.#writer.close().catch(() => {});
    await this.#child.status;
  }
}
