import assert from "node:assert/strict";
import { formatSize, parseSize } from "../../lib/io/units.ts";

Deno.test("parseSize() and formatSize() speak KiB, MiB and GiB", () => {
  assert.equal(parseSize("1KiB"), 1024);
  assert.equal(parseSize("16mib"), 16 * 1024 * 1024);
  assert.equal(parseSize("2 GiB"), 2 * 1024 ** 3);
  for (const bad of ["", "MiB", "-1", "1.5MiB", "3TB"]) {
    assert.ok(Number.isNaN(parseSize(bad)), bad);
  }
  assert.equal(formatSize(1536), "1536B");
  assert.equal(formatSize(3 * 1024 ** 3), "3GiB");
});
