/**
 * Property-based tests (fast-check) of the pure codecs: the frame codec and
 * the UDP uppercase transform, over generated inputs split at generated points.
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import {
  decodeHeader,
  encodeHeader,
  FrameError,
  MAX_HEADER_BYTES,
} from "../../lib/exec/frame.ts";

const RUNS = { numRuns: 500 };

/** JSON-safe header objects, like the ones clients send. */
const header = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((k) => k !== "__proto__"),
  fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 6 },
);

/** Feeds `bytes` to decodeHeader growing by the given cut points, as a reader would. */
function decodeIncrementally(bytes: Uint8Array, cuts: number[]) {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  for (const point of points) {
    const partial = decodeHeader(bytes.subarray(0, point));
    if (partial.kind === "header") return partial;
  }
  return decodeHeader(bytes);
}

Deno.test("encode then decode is the identity, however the bytes are split", () => {
  fc.assert(
    fc.property(
      header,
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (h, tail, cuts) => {
        const frame = encodeHeader(h);
        const bytes = new Uint8Array([...frame, ...tail]);
        const decoded = decodeIncrementally(bytes, cuts);
        assert.equal(decoded.kind, "header");
        if (decoded.kind === "header") {
          assert.deepEqual(decoded.header, JSON.parse(JSON.stringify(h)));
          assert.equal(decoded.size, frame.length);
        }
      },
    ),
    RUNS,
  );
});

Deno.test("any byte sequence decodes the same at any split, or fails with a FrameError", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (bytes, cuts) => {
        let whole: ReturnType<typeof decodeHeader> | FrameError;
        try {
          whole = decodeHeader(bytes);
        } catch (err) {
          assert.ok(err instanceof FrameError, String(err));
          whole = err;
        }
        let split: ReturnType<typeof decodeHeader> | FrameError;
        try {
          split = decodeIncrementally(bytes, cuts);
        } catch (err) {
          assert.ok(err instanceof FrameError, String(err));
          split = err;
        }
        if (whole instanceof FrameError) assert.ok(split instanceof FrameError);
        else assert.deepEqual(split, whole);
        if (!(whole instanceof FrameError) && whole.kind === "incomplete") {
          assert.ok(
            whole.needed <= 4 + MAX_HEADER_BYTES,
            "never asks for more than a header can be",
          );
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("a mutated frame decodes to an object or fails with a FrameError, never anything else", () => {
  fc.assert(
    fc.property(
      header,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        maxLength: 4,
      }),
      (h, flips) => {
        const bytes = encodeHeader(h);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        try {
          const decoded = decodeHeader(bytes);
          if (decoded.kind === "header") {
            assert.equal(typeof decoded.header, "object");
            assert.ok(!Array.isArray(decoded.header));
          }
        } catch (err) {
          assert.ok(err instanceof FrameError, String(err));
        }
      },
    ),
    { numRuns: 2000 },
  );
});
