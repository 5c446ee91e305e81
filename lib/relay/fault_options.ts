/**
 * The relay's faults, declared once as options of their own value types
 * (`faults.ts`): the parser reads each one once, `run` receives typed
 * values, and the faults a direction applies are exactly the options of
 * its group, so adding a fault is two edits: its option here, its effect
 * in `pump.ts` (or `datagram_relay.ts`). Each fault's relations (which
 * transport it belongs to, what it cannot go with) are declared on it.
 *
 * @module
 */

import {
  count,
  flagName,
  type Option,
  type OptionMap,
  typed,
  type Values,
  type ValueType,
} from "../cli/option.ts";
import {
  BYTE_COUNT,
  DELAY,
  MILLISECONDS,
  PROBABILITY,
  RATE,
  SIZE_RANGE,
} from "./faults.ts";

/** A 32-bit seed for the random faults (`--seed`). */
export const SEED: ValueType<number> = {
  placeholder: "N",
  parse: (raw) => {
    const seed = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(seed <= 0xffffffff)) {
      throw new RangeError("use a whole number from 0 to 4294967295");
    }
    return seed;
  },
  show: String,
};

const streamOnly = (flag: string) => ({
  conflicts: {
    udp: `Option --${flag} is for TCP and unix streams: drop it with --udp`,
  },
});
const datagramOnly = (flag: string) => ({
  requires: { udp: `Option --${flag} is for datagrams: add --udp` },
});
const NO_RESET_OVER_TLS =
  "Option --reset-after works on plain TCP and unix only: Deno's TLS cannot send a reset; drop the TLS options or use --cut-after";

/** `--delay`: every write, or every datagram. */
const DELAY_OPTION = {
  delay: typed(DELAY, {
    help: "Wait MS (give or take JITTER) before each write or datagram",
  }),
};

/** The faults of a TCP or unix stream's direction, each off unless given. */
export const STREAM_FAULT_OPTIONS = {
  chunk: typed(SIZE_RANGE, {
    help: "Re-split the stream into writes of N bytes, or random sizes N to M",
    ...streamOnly("chunk"),
  }),
  coalesce: typed(MILLISECONDS, {
    help:
      "Hold what arrives for up to MS (1 MiB at most) and send it as one write",
    ...streamOnly("coalesce"),
  }),
  ...DELAY_OPTION,
  rate: typed(RATE, {
    help: "Send at most this many bytes a second, e.g. 64KiB/s",
    ...streamOnly("rate"),
  }),
  cutAfter: typed(BYTE_COUNT, {
    help: "After this many bytes, close both ends cleanly",
    ...streamOnly("cut-after"),
  }),
  resetAfter: typed(BYTE_COUNT, {
    help:
      "After this many bytes, reset (RST) the end they go to, once the kernel has sent them (Linux; waits up to 5 s)",
    conflicts: {
      ...streamOnly("reset-after").conflicts,
      tlsCert: NO_RESET_OVER_TLS,
      toTls: NO_RESET_OVER_TLS,
      tlsCa: NO_RESET_OVER_TLS,
      tlsPin: NO_RESET_OVER_TLS,
      tlsInsecure: NO_RESET_OVER_TLS,
    },
  }),
  stallAfter: typed(BYTE_COUNT, {
    help:
      "After this many bytes, forward nothing more; the connection stays open",
    ...streamOnly("stall-after"),
  }),
};

/** The faults of datagrams each way, each off unless given. */
export const DATAGRAM_FAULT_OPTIONS = {
  loss: typed(PROBABILITY, {
    help: "Drop each datagram with this chance, e.g. 0.3 or 30%",
    ...datagramOnly("loss"),
  }),
  duplicate: typed(PROBABILITY, {
    help: "Send each datagram twice with this chance",
    ...datagramOnly("duplicate"),
  }),
  reorder: typed(PROBABILITY, {
    help: "Hold a datagram back, to follow the next one, with this chance",
    ...datagramOnly("reorder"),
  }),
  ...DELAY_OPTION,
};

/** Every fault option, in the order help lists them, and `--seed`. */
export const FAULT_OPTIONS = {
  ...STREAM_FAULT_OPTIONS,
  refuse: count({
    help: "Close the first N connections at once (clients that must retry)",
    value: "N",
    min: 0,
    max: 1_000_000_000,
    default: 0,
    ...streamOnly("refuse"),
  }),
  ...DATAGRAM_FAULT_OPTIONS,
  seed: typed(SEED, {
    help:
      "Seed the random faults, to repeat a run; random (and logged) if absent",
  }),
};

/** The faults given among `O`'s options: each one present only when on. */
type Given<O extends OptionMap> = {
  [K in keyof O]?: NonNullable<Values<O>[K]>;
};

/** Faults on one direction of a stream, by option name; each absent one is off. */
export type StreamFaults = Given<typeof STREAM_FAULT_OPTIONS>;
/** Faults on datagrams, by option name; each absent one is off. */
export type DatagramFaults = Given<typeof DATAGRAM_FAULT_OPTIONS>;

/**
 * The faults of one group that the values turn on, or `undefined` when
 * none is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultsOf, STREAM_FAULT_OPTIONS } from "./fault_options.ts";
 * const faults = faultsOf(STREAM_FAULT_OPTIONS, { chunk: { min: 1, max: 1 }, delay: undefined });
 * assert.deepEqual(faults, { chunk: { min: 1, max: 1 } });
 * ```
 */
export function faultsOf<O extends OptionMap>(
  group: O,
  values: Partial<Values<O>>,
): Given<O> | undefined {
  const faults: Record<string, unknown> = {};
  for (const key of Object.keys(group)) {
    const value = (values as Record<string, unknown>)[key];
    if (value !== undefined) faults[key] = value;
  }
  return Object.keys(faults).length > 0 ? faults as Given<O> : undefined;
}

/**
 * The faults given, in the command line's words, for the relay's first
 * log line: `--chunk 1 --delay 5`, or `none`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultSummary } from "./fault_options.ts";
 * assert.equal(faultSummary({ chunk: { min: 1, max: 1 }, refuse: 0, seed: 7 }), "--chunk 1");
 * ```
 */
export function faultSummary(
  values: Partial<Values<typeof FAULT_OPTIONS>>,
): string {
  const given: string[] = [];
  for (const [key, option] of Object.entries(FAULT_OPTIONS)) {
    const value = (values as Record<string, unknown>)[key];
    if (key === "seed" || value === undefined || value === option.default) {
      continue;
    }
    const show = (option as Option<unknown>).show ?? String;
    given.push(`--${flagName(key)} ${show(value)}`);
  }
  return given.length === 0 ? "none" : given.join(" ");
}
