import assert from "node:assert/strict";
import {
  choice,
  count,
  duration,
  flag,
  flagName,
  InvalidValue,
  number,
  port,
  size,
  text,
  texts,
} from "../../lib/cli/option.ts";

function rejects(parse: () => unknown, why: RegExp): void {
  assert.throws(parse, (err: unknown) => {
    assert.ok(err instanceof InvalidValue);
    assert.match(err.why, why);
    return true;
  });
}

Deno.test("each option kind parses its values and refuses others, naming the range", () => {
  const p = port({ help: "", min: 1, default: 80 });
  assert.equal(p.parse("65535"), 65535);
  for (const bad of ["0", "65536", "-1", "1e3", "x", ""]) {
    rejects(() => p.parse(bad), /use a port from 1 to 65535/);
  }
  const d = duration({ help: "", min: 1, max: 3_600_000, default: 10_000 });
  assert.equal(d.parse("0.5"), 500);
  assert.equal(d.parse(".25"), 250);
  assert.equal(d.shownDefault, "10");
  assert.equal(d.bounds, "0.001-3600");
  rejects(() => d.parse("3601"), /seconds from 0.001 to 3600/);
  rejects(() => d.parse("-1"), /seconds/);
  const c = count({ help: "", min: 1, max: 10, default: 4 });
  assert.equal(c.parse("10"), 10);
  rejects(() => c.parse("2.5"), /whole number from 1 to 10/);
  assert.equal(number({ help: "", min: 0, max: 5 }).parse("2.5"), 2.5);
  const s = size({ help: "", min: 0, max: 1 << 30, default: 16 << 20 });
  assert.equal(s.parse("2KiB"), 2048);
  assert.equal(s.shownDefault, "16MiB");
  rejects(() => s.parse("2GiB"), /size from 0B to 1GiB/);
  const mode = choice({ help: "", choices: ["a", "b"] as const, default: "a" });
  rejects(() => mode.parse("c"), /use one of a, b/);
  assert.equal(flag({ help: "" }).default, false);
  assert.deepEqual(texts({ help: "" }).default, []);
  const name = text({
    help: "",
    check: (v) => v.length > 3 ? "too long" : null,
  });
  assert.equal(name.parse("abc"), "abc");
  rejects(() => name.parse("abcd"), /too long/);
});

Deno.test("flagName() turns camelCase keys into the long option", () => {
  assert.equal(flagName("maxConns"), "max-conns");
  assert.equal(flagName("tlsCa"), "tls-ca");
  assert.equal(flagName("maxP99"), "max-p99");
});
