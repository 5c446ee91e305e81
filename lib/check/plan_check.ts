/**
 * Reading one check of a plan: its probe and address, what it sends, its
 * time limit, retries and order, its TLS checking, and for exec its
 * command, token and reply mode. Part of reading a plan
 * (`plan_reader.ts`), which it reports its problems to.
 *
 * @module
 */

import {
  type CheckSpec,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_RETRY_DELAY_MS,
  isObject,
  MAX_REPLY_BYTES,
  MAX_RETRIES,
  type PlanHelpers,
  type ProbeKind,
} from "./plan.ts";
import { parsePayload, type Payload } from "./values.ts";

const PROBE_KEYS: ProbeKind[] = ["tcp", "unix", "tls", "udp", "exec"];
const CHECK_KEYS = [
  "name",
  ...PROBE_KEYS,
  "send",
  "expect",
  "timeout",
  "retries",
  "retry_delay",
  "after",
  "tls_ca",
  "tls_pin",
  "tls_insecure",
  "cmd",
  "token",
  "mode",
  "max_bytes",
];

/**
 * One check of `checks:`, its keys checked, or `undefined` when it cannot
 * run at all (its problems told to `reader`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePlan } from "./plan_reader.ts";
 * const plan = parsePlan("checks:\n  - name: dns\n    udp: 127.0.0.1:53\n    send: { hex: abcd }\n    retries: 3\n", "p");
 * assert.ok(plan.checks[0]!.retries === 3 && plan.checks[0]!.send?.kind === "bytes");
 * ```
 */
export function readCheck(
  reader: PlanHelpers,
  value: unknown,
  path: string,
): CheckSpec | undefined {
  if (!isObject(value)) {
    reader.problem(path, "a check is a mapping: name:, an address, expect:");
    return undefined;
  }
  reader.unknownKeys(value, path, CHECK_KEYS);
  const name = typeof value.name === "string" && value.name.trim() !== ""
    ? value.name
    : undefined;
  if (!name) reader.problem(path, "every check needs a name:");
  const kinds = PROBE_KEYS.filter((k) => value[k] !== undefined);
  if (kinds.length !== 1) {
    reader.problem(
      path,
      kinds.length === 0
        ? "say what to probe: tcp:, unix:, tls:, udp: or exec: with its address"
        : `give one address, not ${kinds.join(" and ")}`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const address = value[kind];
  if (typeof address !== "string") {
    reader.problem(`${path}.${kind}`, `${kind}: takes an address as text`);
    return undefined;
  }
  const check: CheckSpec = {
    name: name ?? path,
    kind,
    address: reader.template(address, `${path}.${kind}`, false),
    expect: reader.expect(value.expect, `${path}.expect`, kind),
    timeoutMs: reader.duration(
      value.timeout,
      `${path}.timeout`,
      DEFAULT_CHECK_TIMEOUT_MS,
    ),
    retries: reader.count(value.retries, `${path}.retries`, 0, MAX_RETRIES),
    retryDelayMs: reader.duration(
      value.retry_delay,
      `${path}.retry_delay`,
      DEFAULT_RETRY_DELAY_MS,
    ),
    after: reader.names(value.after, `${path}.after`),
    tls: readTls(reader, value, path, kind),
    maxBytes: reader.count(
      value.max_bytes,
      `${path}.max_bytes`,
      DEFAULT_MAX_REPLY_BYTES,
      MAX_REPLY_BYTES,
    ),
    line: reader.line(path),
  };
  if (value.send !== undefined) {
    const send = parsePayload(value.send);
    if (typeof send === "string") reader.problem(`${path}.send`, send);
    else {
      check.send = payloadTemplate(reader, send, `${path}.send`);
    }
  }
  if (kind === "exec") check.exec = readExec(reader, value, path);
  else {
    for (const key of ["cmd", "token", "mode"]) {
      if (value[key] !== undefined) {
        reader.problem(`${path}.${key}`, `${key}: is for exec: checks`, true);
      }
    }
  }
  return check;
}

function payloadTemplate(
  reader: PlanHelpers,
  payload: Payload,
  path: string,
): Payload {
  if (payload.kind === "text") {
    return { kind: "text", text: reader.template(payload.text, path, false) };
  }
  return payload;
}

function readTls(
  reader: PlanHelpers,
  value: Record<string, unknown>,
  path: string,
  kind: ProbeKind,
): CheckSpec["tls"] {
  const tls: CheckSpec["tls"] = { insecure: false };
  const given = ["tls_ca", "tls_pin", "tls_insecure"].filter((k) =>
    value[k] !== undefined
  );
  if (given.length > 0 && kind !== "tls" && kind !== "exec") {
    reader.problem(
      `${path}.${given[0]}`,
      `${given[0]}: is for tls: and exec: checks`,
      true,
    );
  }
  if (value.tls_ca !== undefined) {
    if (typeof value.tls_ca === "string") {
      tls.ca = reader.template(value.tls_ca, `${path}.tls_ca`, false);
    } else reader.problem(`${path}.tls_ca`, "tls_ca: is a PEM file's path");
  }
  if (value.tls_pin !== undefined) {
    if (typeof value.tls_pin === "string") tls.pin = value.tls_pin;
    else reader.problem(`${path}.tls_pin`, "tls_pin: is a SHA-256 fingerprint");
  }
  if (value.tls_insecure !== undefined) {
    if (typeof value.tls_insecure === "boolean") {
      tls.insecure = value.tls_insecure;
    } else {reader.problem(
        `${path}.tls_insecure`,
        "tls_insecure: is true or false",
      );}
  }
  if (tls.insecure && (tls.ca || tls.pin)) {
    reader.problem(
      `${path}.tls_insecure`,
      "tls_insecure: checks nothing: drop it, or drop tls_ca and tls_pin",
    );
  }
  return tls;
}

function readExec(
  reader: PlanHelpers,
  value: Record<string, unknown>,
  path: string,
): NonNullable<CheckSpec["exec"]> {
  const cmd = reader.argv(value.cmd, `${path}.cmd`, false) ?? ["true"];
  const exec: NonNullable<CheckSpec["exec"]> = {
    cmd,
    mode: "stream",
  };
  if (value.mode !== undefined) {
    if (value.mode === "stream" || value.mode === "single") {
      exec.mode = value.mode;
    } else reader.problem(`${path}.mode`, "mode: is stream or single");
  }
  const token = value.token;
  if (token !== undefined) {
    if (
      isObject(token) && typeof token.env === "string" &&
      Object.keys(token).length === 1
    ) {
      if (reader.env(token.env) === undefined) {
        reader.problem(
          `${path}.token`,
          `the token's variable ${token.env} is not set; export it`,
        );
      }
      exec.token = { env: token.env };
    } else if (
      isObject(token) && typeof token.file === "string" &&
      Object.keys(token).length === 1
    ) {
      exec.token = { file: token.file };
    } else {
      reader.problem(
        `${path}.token`,
        "token: is { env: NAME } or { file: PATH }, never the token itself",
      );
    }
  }
  return exec;
}
