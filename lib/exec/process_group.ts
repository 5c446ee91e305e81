/**
 * A command's process group, and how the exec server stops it: SIGTERM to
 * the whole group, SIGKILL after a grace, and a signal that reaches the
 * command even in the instant before it has a group of its own.
 *
 * @module
 */

import { Deadline } from "../io/timers.ts";

/**
 * `setsid` on Linux, to start a command in a session and process group of
 * its own. Deno's `detached: true` does the same but forks the whole
 * process to do it (about 4.5 ms a spawn against 2.4 ms through setsid,
 * measured here); elsewhere, `detached` it is. Not found, `undefined`.
 */
export const SETSID: string | undefined = findSetsid();

function findSetsid(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  for (const path of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** How often a signal is tried again while the child has no process group yet, in ms: 1. */
const GROUP_RETRY_MS = 1;

/**
 * Signals a detached child's whole process group: SIGTERM, then SIGKILL
 * after a grace. Right after spawn the child may not have called `setsid`
 * yet, so its group does not exist and the signal fails (ESRCH): the child
 * itself is signalled then, and the group again every millisecond until it
 * exists or the child is gone, so a command cancelled at its first instant
 * never gets further.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessGroup } from "./process_group.ts";
 * const child = new Deno.Command("/bin/sh", { args: ["-c", "sleep 30"], detached: true }).spawn();
 * const group = new ProcessGroup(child.pid, 2000, child.status);
 * group.stop("cancelled");
 * assert.equal((await child.status).signal, "SIGTERM");
 * group.dispose();
 * ```
 */
export class ProcessGroup {
  /** Why it was stopped, once it was. */
  reason: "timeout" | "truncated" | "cancelled" | null = null;
  #kill: Deadline | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #exited = false;

  /** Watches `pid`'s group; `status` settles when the child exits. */
  constructor(
    readonly pid: number,
    readonly graceMs: number,
    status: Promise<unknown>,
  ) {
    status.then(() => this.#exited = true, () => this.#exited = true);
  }

  /** SIGTERM now, SIGKILL after the grace; the first reason given is kept. */
  stop(reason: "timeout" | "truncated" | "cancelled"): void {
    if (this.reason) return;
    this.reason = reason;
    this.#signal("SIGTERM");
    this.#kill = new Deadline(this.graceMs, () => this.#signal("SIGKILL"));
  }

  /** SIGKILL now: whatever the command left behind. */
  killNow(): void {
    this.#signal("SIGKILL");
  }

  /** Disarms the timers. */
  dispose(): void {
    this.#kill?.[Symbol.dispose]();
    clearTimeout(this.#retry);
  }

  #signal(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.pid, signal);
      return;
    } catch {
      // No such group: gone, or not made yet.
    }
    if (this.#exited) return;
    try {
      Deno.kill(this.pid, signal); // Before setsid: the child alone, in our group.
    } catch {
      return; // Gone.
    }
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.#signal(signal), GROUP_RETRY_MS);
  }
}
