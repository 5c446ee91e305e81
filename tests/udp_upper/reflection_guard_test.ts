import assert from "node:assert/strict";
import {
  RateLimiter,
  refusalReason,
} from "../../lib/udp_upper/reflection_guard.ts";

Deno.test("refusalReason() blocks port 0, the classic service ports, and the server itself", () => {
  const self = { hostname: "127.0.0.1", port: 3000 };
  for (const port of [0, 7, 13, 17, 19, 37]) {
    assert.equal(
      refusalReason({ hostname: "127.0.0.1", port }, self),
      "blocked-port",
      `port ${port}`,
    );
  }
  assert.equal(
    refusalReason({ hostname: "127.0.0.1", port: 3000 }, self),
    "self",
  );
  assert.equal(
    refusalReason({ hostname: "10.0.0.1", port: 3000 }, {
      hostname: "0.0.0.0",
      port: 3000,
    }),
    "self",
  );
  assert.equal(
    refusalReason({ hostname: "127.0.0.2", port: 3000 }, self),
    null,
  );
  for (const port of [1, 8, 53, 1024, 65535]) {
    assert.equal(
      refusalReason({ hostname: "127.0.0.1", port }, self),
      null,
      `port ${port}`,
    );
  }
});

Deno.test("RateLimiter allows a burst of N, then N per second, per source", () => {
  const limiter = new RateLimiter({ perSecond: 10 });
  let allowed = 0;
  for (let i = 0; i < 100; i++) if (limiter.allow("a", 0)) allowed++;
  assert.equal(allowed, 10);
  assert.ok(limiter.allow("b", 0), "another source has its own bucket");
  assert.equal(limiter.allow("a", 50), false, "half a token after 50 ms");
  assert.equal(limiter.allow("a", 100), true, "one token after 100 ms");
  allowed = 0;
  for (let i = 0; i < 100; i++) if (limiter.allow("a", 10_000)) allowed++;
  assert.equal(allowed, 10, "the bucket never holds more than N");
});

Deno.test("RateLimiter with 0 never limits, and its table stays bounded", () => {
  const open = new RateLimiter({ perSecond: 0 });
  for (let i = 0; i < 10_000; i++) assert.ok(open.allow("a", 0));
  const bounded = new RateLimiter({ perSecond: 5, maxSources: 100 });
  for (let i = 0; i < 1000; i++) bounded.allow(`10.0.${i >> 8}.${i & 255}`, i);
  assert.equal(bounded.size, 100);
});
