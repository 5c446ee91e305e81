/**
 * Property-based tests (fast-check) of the pure codecs: the frame codec and
 * the UDP uppercase transform, over generated inputs split at generated points.
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { LineSplitter } from "../../lib/tcp_echo/line_modes.ts";

const RUNS = { numRuns: 500 };

Deno.test("LineSplitter gives the same lines for any chunking", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (bytes, cuts) => {
        const points = [
          0,
          ...new Set(cuts.map((c) => c % (bytes.length + 1))),
          bytes.length,
        ].sort((a, b) => a - b);
        const chunked = new LineSplitter(1024);
        const lines: number[][] = [];
        for (let i = 1; i < points.length; i++) {
          for (
            const line of chunked.push(bytes.slice(points[i - 1], points[i]))
          ) lines.push([...line]);
        }
        const rest = chunked.flush();
        if (rest) lines.push([...rest]);
        assert.deepEqual(lines.flat(), [...bytes], "no byte lost or added");
        const whole = new LineSplitter(1024);
        const expected = whole.push(bytes).map((l) => [...l]);
        const last = whole.flush();
        if (last) expected.push([...last]);
        assert.deepEqual(lines, expected);
      },
    ),
    RUNS,
  );
});
