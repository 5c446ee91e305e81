/**
 * Cycles in a directed graph given as edges, found without recursion (the
 * graph may come from a user's file). Used for a check plan's `after:` and
 * for the module graph the architecture test walks.
 *
 * @module
 */

/**
 * One cycle among `edges` as the path that closes it (`a, b, a`), or
 * `null` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findCycle } from "./graph.ts";
 * assert.deepEqual(findCycle([["a", "b"], ["b", "a"]]), ["a", "b", "a"]);
 * assert.equal(findCycle([["a", "b"], ["a", "c"], ["b", "c"]]), null);
 * ```
 */
export function findCycle(
  edges: Iterable<readonly [string, string]>,
): string[] | null {
  const next = new Map<string, string[]>();
  for (const [from, to] of edges) next.set(from, [...next.get(from) ?? [], to]);
  const state = new Map<string, "open" | "done">();
  for (const start of next.keys()) {
    if (state.has(start)) continue;
    const stack: Array<{ node: string; i: number }> = [{ node: start, i: 0 }];
    state.set(start, "open");
    while (stack.length > 0) {
      const top = stack.at(-1)!;
      const targets = next.get(top.node) ?? [];
      if (top.i >= targets.length) {
        state.set(top.node, "done");
        stack.pop();
        continue;
      }
      const to = targets[top.i++]!;
      if (state.get(to) === "open") {
        const path = stack.map((s) => s.node);
        return [...path.slice(path.indexOf(to)), to];
      }
      if (!state.has(to)) {
        state.set(to, "open");
        stack.push({ node: to, i: 0 });
      }
    }
  }
  return null;
}
