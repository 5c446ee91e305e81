import type { ValueType } from "../../lib/cli/option.ts";
import {
  DATAGRAM_FAULT_OPTIONS,
  FAULT_OPTIONS,
  faultsOf,
  faultSummary,
  SEED,
  STREAM_FAULT_OPTIONS,
} from "../../lib/relay/fault_options.ts";
import assert from "node:assert/strict";
import {
  BYTE_COUNT,
  DELAY,
  delayMs,
  MILLISECONDS,
  parseByteCount,
  parseDelay,
  parseMilliseconds,
  parseProbability,
  parseRate,
  parseSizeRange,
  pieceSizes,
  PROBABILITY,
  RATE,
  SIZE_RANGE,
} from "../../lib/relay/faults.ts";
import { seededRandom } from "../../lib/io/random.ts";

Deno.test("the fault parsers refuse what they cannot mean, naming a good value", async (t) => {
  const cases: Array<[(raw: string) => unknown, string[], RegExp]> = [
    [parseSizeRange, ["0", "5-2", "x", "1-", "2000000"], /e\.g\. 1 or 1-64/],
    [parseDelay, ["-1", "10+-20", "abc", "70000"], /e\.g\. 50 or 50\+-10/],
    [parseMilliseconds, ["0", "1.5", "60001"], /e\.g\. 50/],
    [parseRate, ["0", "fast", "1.5KiB"], /e\.g\. 1000 or 64KiB\/s/],
    [parseByteCount, ["-1", "ten"], /e\.g\. 100 or 1MiB/],
    [parseProbability, ["1.5", "101%", "-0.1", "half"], /e\.g\. 0\.3 or 30%/],
  ];
  for (const [parse, bad, message] of cases) {
    await t.step(parse.name, () => {
      for (const raw of bad) assert.throws(() => parse(raw), message, raw);
    });
  }
});

Deno.test("the fault parsers read what the help shows", () => {
  assert.deepEqual(parseSizeRange("1-64"), { min: 1, max: 64 });
  assert.deepEqual(parseDelay("50±10"), { ms: 50, jitterMs: 10 });
  assert.equal(parseRate("1MiB/s"), 1024 * 1024);
  assert.equal(parseByteCount("2KiB"), 2048);
  assert.equal(parseProbability(".25"), 0.25);
});

Deno.test("pieceSizes() covers the chunk exactly, each piece within the range", () => {
  const random = seededRandom(42);
  for (const length of [1, 7, 100, 4096]) {
    const sizes = pieceSizes(length, { min: 3, max: 9 }, random);
    assert.equal(sizes.reduce((a, b) => a + b, 0), length);
    assert.ok(sizes.slice(0, -1).every((s) => s >= 3 && s <= 9));
    assert.ok(sizes.at(-1)! <= 9);
  }
});

Deno.test("the same seed draws the same faults", () => {
  const draw = (seed: number) => {
    const random = seededRandom(seed);
    return [
      ...pieceSizes(50, { min: 1, max: 10 }, random),
      delayMs({ ms: 50, jitterMs: 25 }, random),
    ];
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

Deno.test("each fault's value type shows a value in words that parse back to it", () => {
  const cases: Array<[ValueType<unknown>, string[]]> = [
    [SIZE_RANGE as ValueType<unknown>, ["1", "1-64", "1048576"]],
    [DELAY as ValueType<unknown>, ["0", "50", "50+-10", "60000±60000"]],
    [MILLISECONDS as ValueType<unknown>, ["1", "60000"]],
    [RATE as ValueType<unknown>, ["1", "1000", "64KiB/s", "1GiB"]],
    [BYTE_COUNT as ValueType<unknown>, ["0", "100", "1MiB", "1536"]],
    [PROBABILITY as ValueType<unknown>, ["0", "0.3", "30%", "1", ".5"]],
    [SEED as ValueType<unknown>, ["0", "7", "4294967295"]],
  ];
  for (const [type, raws] of cases) {
    for (const raw of raws) {
      const value = type.parse(raw);
      assert.deepEqual(type.parse(type.show(value)), value, `${raw}`);
    }
  }
});

Deno.test("the relay's options hand run() typed faults, and the summary shows them in the command line's words", () => {
  const chunk = FAULT_OPTIONS.chunk.parse("1-64");
  const delay = FAULT_OPTIONS.delay.parse("5+-2");
  assert.deepEqual(chunk, { min: 1, max: 64 });
  assert.deepEqual(faultsOf(STREAM_FAULT_OPTIONS, { chunk, delay }), {
    chunk,
    delay,
  });
  assert.equal(
    faultsOf(DATAGRAM_FAULT_OPTIONS, { delay: undefined }),
    undefined,
  );
  assert.equal(
    faultSummary({ chunk, delay, refuse: 0, seed: 9, rate: 65536 }),
    "--chunk 1-64 --delay 5+-2 --rate 64KiB/s",
  );
  assert.throws(() => FAULT_OPTIONS.loss.parse("2"), /probability from 0 to 1/);
});
