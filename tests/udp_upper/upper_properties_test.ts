/**
 * Property-based tests (fast-check) of the pure codecs: the frame codec and
 * the UDP uppercase transform, over generated inputs split at generated points.
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { upperDatagram } from "../../lib/udp_upper/upper.ts";

const RUNS = { numRuns: 500 };

Deno.test("the uppercase reply is never longer than its request", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 60 }).map((s) =>
          new TextEncoder().encode(s)
        ),
      ),
      (request) => {
        const reply = upperDatagram(request);
        assert.ok(
          reply.length <= request.length,
          `${request.length} -> ${reply.length}`,
        );
        assert.deepEqual(upperDatagram(reply).length <= reply.length, true);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("the uppercase transform only changes letters, and ASCII exactly as toUpperCase does", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary-ascii", maxLength: 100 }), (text) => {
      const reply = new TextDecoder().decode(
        upperDatagram(new TextEncoder().encode(text)),
      );
      assert.equal(reply, text.toUpperCase());
    }),
    RUNS,
  );
});
