import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { LatencyHistogram } from "../../lib/bench/latency.ts";

/** The width of the bucket holding `ms`, as lib/latency.ts documents it. */
function bucketWidthMs(ms: number): number {
  return ms < 1 ? 0.001 : ms < 1000 ? 0.1 : 10;
}

Deno.test("LatencyHistogram percentiles match a sorted array to within one bucket", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: 0, max: 5000, noNaN: true }), {
        minLength: 1,
        maxLength: 300,
      }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (samples, p) => {
        const h = new LatencyHistogram();
        for (const s of samples) h.record(s);
        const sorted = samples.map((s) => Math.round(s * 1000) / 1000).sort((
          a,
          b,
        ) => a - b);
        const exact = sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
        const got = h.percentile(p);
        assert.ok(got <= exact + 1e-9, `p${p}: ${got} > ${exact}`);
        assert.ok(
          got >= exact - bucketWidthMs(exact) - 1e-9,
          `p${p}: ${got} too far below ${exact}`,
        );
        assert.equal(h.count, samples.length);
        assert.equal(h.max, sorted.at(-1));
      },
    ),
  );
});

Deno.test("LatencyHistogram merges, clamps at 120 s, and reads 0 when empty", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  assert.equal(a.percentile(0.99), 0);
  a.record(1);
  b.record(3);
  b.record(500_000);
  a.merge(b);
  assert.equal(a.count, 3);
  assert.equal(a.percentile(0.5), 3);
  assert.equal(a.max, 120_000);
  assert.equal(a.percentile(1), 120_000);
});
