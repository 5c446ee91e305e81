/**
 * The relay's fault options, declared once:
 * each fault's flag, what it takes, which transport it belongs to, and the
 * {@linkcode StreamFaults} or {@linkcode DatagramFaults} the values make.
 *
 * @module
 */

import { count, flagName, text } from "../cli/option.ts";
import {
  type DatagramFaults,
  parseByteCount,
  parseDelay,
  parseMilliseconds,
  parseProbability,
  parseRate,
  parseSizeRange,
  type StreamFaults,
} from "./faults.ts";

function checkedBy(parse: (raw: string) => unknown) {
  return (raw: string): string | null => {
    try {
      parse(raw);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

function parseSeed(raw: string): number {
  const seed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(seed <= 0xffffffff)) {
    throw new RangeError("use a whole number from 0 to 4294967295");
  }
  return seed;
}

const STREAM_ONLY = {
  udp: "is for TCP and unix streams: drop it with --udp",
};
const streamOnly = (flag: string) => ({
  conflicts: { udp: `Option --${flag} ${STREAM_ONLY.udp}` },
});
const datagramOnly = (flag: string) => ({
  requires: { udp: `Option --${flag} is for datagrams: add --udp` },
});

/** The faults, each off unless given. */
export const FAULT_OPTIONS = {
  chunk: text({
    help: "Re-split the stream into writes of N bytes, or random sizes N to M",
    value: "N[-M]",
    check: checkedBy(parseSizeRange),
    ...streamOnly("chunk"),
  }),
  coalesce: text({
    help:
      "Hold what arrives for up to MS (1 MiB at most) and send it as one write",
    value: "MS",
    check: checkedBy(parseMilliseconds),
    ...streamOnly("coalesce"),
  }),
  delay: text({
    help: "Wait MS (give or take JITTER) before each write or datagram",
    value: "MS[+-JITTER]",
    check: checkedBy(parseDelay),
  }),
  rate: text({
    help: "Send at most this many bytes a second, e.g. 64KiB/s",
    value: "BYTES/s",
    check: checkedBy(parseRate),
    ...streamOnly("rate"),
  }),
  cutAfter: text({
    help: "After this many bytes, close both ends cleanly",
    value: "BYTES",
    check: checkedBy(parseByteCount),
    ...streamOnly("cut-after"),
  }),
  resetAfter: text({
    help:
      "After this many bytes, reset (RST) the end they go to, once the kernel has sent them (Linux; waits up to 5 s)",
    value: "BYTES",
    check: checkedBy(parseByteCount),
    ...streamOnly("reset-after"),
  }),
  stallAfter: text({
    help:
      "After this many bytes, forward nothing more; the connection stays open",
    value: "BYTES",
    check: checkedBy(parseByteCount),
    ...streamOnly("stall-after"),
  }),
  refuse: count({
    help: "Close the first N connections at once (clients that must retry)",
    value: "N",
    min: 0,
    max: 1_000_000_000,
    default: 0,
    ...streamOnly("refuse"),
  }),
  loss: text({
    help: "Drop each datagram with this chance, e.g. 0.3 or 30%",
    value: "P",
    check: checkedBy(parseProbability),
    ...datagramOnly("loss"),
  }),
  duplicate: text({
    help: "Send each datagram twice with this chance",
    value: "P",
    check: checkedBy(parseProbability),
    ...datagramOnly("duplicate"),
  }),
  reorder: text({
    help: "Hold a datagram back, to follow the next one, with this chance",
    value: "P",
    check: checkedBy(parseProbability),
    ...datagramOnly("reorder"),
  }),
  seed: text({
    help:
      "Seed the random faults, to repeat a run; random (and logged) if absent",
    value: "N",
    check: checkedBy(parseSeed),
  }),
};

/**
 * The faults given, as the command line gave them, for the relay's first
 * log line: `--chunk 1 --delay 5`, or `none`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(faultSummary({ chunk: "1", refuse: 0, seed: "7" }), "--chunk 1");
 * ```
 */
export function faultSummary(
  values: Partial<
    Record<keyof typeof FAULT_OPTIONS, string | number | undefined>
  >,
): string {
  const given = Object.entries(values).filter(([key, value]) =>
    key in FAULT_OPTIONS && key !== "seed" && value !== undefined &&
    value !== 0
  );
  return given.length === 0
    ? "none"
    : given.map(([key, value]) => `--${flagName(key)} ${value}`).join(" ");
}

/**
 * A stream direction's faults from the values, or `undefined` when none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const faults = streamFaultsFrom({ chunk: "1", delay: "5" });
 * assert.ok(faults?.chunk?.max === 1 && faults.delay?.ms === 5);
 * ```
 */
export function streamFaultsFrom(
  values: Partial<
    Record<keyof typeof FAULT_OPTIONS, string | number | undefined>
  >,
): StreamFaults | undefined {
  const get = (key: keyof typeof FAULT_OPTIONS) => {
    const value = values[key];
    return typeof value === "string" ? value : undefined;
  };
  const faults: StreamFaults = {};
  const chunk = get("chunk");
  if (chunk) faults.chunk = parseSizeRange(chunk);
  const coalesce = get("coalesce");
  if (coalesce) faults.coalesceMs = parseMilliseconds(coalesce);
  const delay = get("delay");
  if (delay) faults.delay = parseDelay(delay);
  const rate = get("rate");
  if (rate) faults.rateBytesPerSecond = parseRate(rate);
  const cut = get("cutAfter");
  if (cut) faults.cutAfter = parseByteCount(cut);
  const reset = get("resetAfter");
  if (reset) faults.resetAfter = parseByteCount(reset);
  const stall = get("stallAfter");
  if (stall) faults.stallAfter = parseByteCount(stall);
  return Object.keys(faults).length > 0 ? faults : undefined;
}

/**
 * The datagram faults from the values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(datagramFaultsFrom({ loss: "30%" }).loss === 0.3);
 * ```
 */
export function datagramFaultsFrom(
  values: {
    loss?: string | undefined;
    duplicate?: string | undefined;
    reorder?: string | undefined;
    delay?: string | undefined;
  },
): DatagramFaults {
  const p = (raw: string | undefined) =>
    raw === undefined ? 0 : parseProbability(raw);
  return {
    loss: p(values.loss),
    duplicate: p(values.duplicate),
    reorder: p(values.reorder),
    ...(values.delay ? { delay: parseDelay(values.delay) } : {}),
  };
}
