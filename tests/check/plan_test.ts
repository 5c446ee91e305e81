import assert from "node:assert/strict";
import { Ajv2020 } from "npm:ajv@8.20.0/dist/2020.js";
import { parse as parseYaml } from "npm:yaml@2.9.1";
import { PlanError } from "../../lib/check/plan.ts";
import { parsePlan } from "../../lib/check/plan_reader.ts";

const root = new URL("../../", import.meta.url);
const schema = JSON.parse(
  await Deno.readTextFile(new URL("docs/check.schema.json", root)),
);
// A real validator, strict about the schema itself.
const validate = new Ajv2020({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  strictRequired: false,
}).compile(schema);

function problems(text: string, env: Record<string, string> = {}): string {
  try {
    parsePlan(text, "plan.yaml", {}, (name) => env[name]);
  } catch (err) {
    if (err instanceof PlanError) return err.message;
    throw err;
  }
  return "";
}

Deno.test("a plan's mistakes are each named with FILE:LINE:COLUMN and what to write instead", () => {
  const cases: Array<[string, RegExp]> = [
    [
      "checks:\n  - name: a\n    tcp: h:1\n    expct: refused\n",
      /^plan\.yaml:4:5: unknown key "expct"; did you mean "expect"\?$/m,
    ],
    [
      "checks:\n  - name: a\n    tcp: h:1\n    retries: many\n",
      /^plan\.yaml:4:14: write a whole number from 0 to 100$/m,
    ],
    [
      "checks:\n  - name: a\n    tcp: 127.0.0.1:${vars.port}\n",
      /^plan\.yaml:3:10: unknown variable \$\{vars\.port\}; define it under vars: or pass --var port=VALUE$/m,
    ],
    [
      "checks:\n  - name: a\n    tcp: h:1\n    after: b\n  - name: b\n    tcp: h:1\n    after: a\n",
      /after: makes a cycle \(a -> b -> a\)/,
    ],
    [
      "checks:\n  - name: a\n    tcp: h:1\n    timeout: soon\n",
      /^plan\.yaml:4:14: "soon" is not a duration; write 200ms, 5s, 2m, 1h or 30d$/m,
    ],
    [
      "checks:\n  - name: a\n    tcp: h:${services.db.port}\n",
      /unknown service "db" in \$\{services\.db\.port\}/,
    ],
    [
      "checks:\n  - name: a\n    tcp: h:1\n    token: { env: X }\n",
      /^plan\.yaml:4:5: token: is for exec: checks$/m,
    ],
    ["checks: [\n", /^plan\.yaml:2:1: .*the plan must be YAML/m],
    [
      "services:\n  s:\n    run: echo a | cat\n    ready: x\nchecks:\n  - { name: a, tcp: 'h:1' }\n",
      /^plan\.yaml:3:10: Shell operator "\|" is not allowed: no shell runs a service; write a list of words/m,
    ],
  ];
  for (const [plan, expected] of cases) {
    assert.match(problems(plan), expected, plan);
  }
});

Deno.test("a plan with many mistakes lists them all, before anything starts", () => {
  const message = problems(
    "vars: { a: 1 }\nchecks:\n  - name: x\n    udp: h:1\n    retries: -1\n    expect: { equal: x }\n",
  );
  assert.equal(message.split("\n").length, 2, message);
});

Deno.test("an alias bomb and a plan over 1 MiB are refused with a clear line", () => {
  const bomb = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    ...Array.from(
      { length: 8 },
      (_, i) =>
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${
          Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")
        }]`,
    ),
    "checks: [{ name: a, tcp: 'h:1' }]",
  ].join("\n");
  assert.match(problems(bomb), /alias|Excessive/i);
  assert.match(
    problems("#".repeat(1024 * 1024 + 1)),
    /over 1048576 bytes; split it/,
  );
});

/** Plans the schema and sockit's parser must judge alike. */
const PARITY: Array<[string, boolean]> = [
  ["checks:\n  - { name: a, tcp: 'h:1', expect: refused }\n", true],
  [
    "checks:\n  - name: a\n    udp: h:1\n    send: { hex: abcd0100 }\n    expect: { regex: '^\\xab' }\n    retries: 3\n",
    true,
  ],
  [
    "checks:\n  - name: t\n    tls: h:443\n    expect: { cert_valid_for: 30d, cert_names: [h] }\n",
    true,
  ],
  [
    "checks:\n  - name: e\n    exec: h:7000\n    cmd: [uptime]\n    mode: single\n    expect: { exit_code: 0, stdout: { contains: load } }\n",
    true,
  ],
  [
    "services:\n  s: { run: [sockit, tcp-echo, server], ready: { address: '127.0.0.1:9' }, timeout: 10s }\nchecks:\n  - { name: a, tcp: 'h:1', expect: { json: { pointer: /a/0, equals: 1 }, closes: true, within: 200ms } }\n",
    true,
  ],
  ["checks: []\n", false],
  ["checks:\n  - { tcp: 'h:1' }\n", false],
  ["checks:\n  - { name: a }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', udp: 'h:1' }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', expect: maybe }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', expect: { equal: x } }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', send: { hex: xyz } }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', timeout: soon }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', retries: 101 }\n", false],
  ["checks:\n  - { name: a, tcp: 'h:1', mode: fast }\n", false],
  ["checks:\n  - { name: a, exec: 'h:1', mode: fast }\n", false],
  ["checks:\n  - { name: a, exec: 'h:1', token: s3cret }\n", false],
  ["services:\n  s: { run: x }\nchecks:\n  - { name: a, tcp: 'h:1' }\n", false],
  [
    "services:\n  '1s': { run: x, ready: y }\nchecks:\n  - { name: a, tcp: 'h:1' }\n",
    false,
  ],
  ["bogus: 1\nchecks:\n  - { name: a, tcp: 'h:1' }\n", false],
  [
    "checks:\n  - { name: a, tcp: 'h:1', expect: { json: { pointer: a, equals: 1 } } }\n",
    false,
  ],
];

Deno.test("the JSON Schema and sockit's own parser accept and refuse the same plans", () => {
  for (const [text, valid] of PARITY) {
    const byParser = problems(text) === "";
    const bySchema = validate(parseYaml(text)) as boolean;
    assert.equal(byParser, valid, `parser on ${text}: ${problems(text)}`);
    assert.equal(
      bySchema,
      valid,
      `schema on ${text}: ${JSON.stringify(validate.errors)}`,
    );
  }
});

Deno.test("every example plan is valid for the schema and for sockit", async () => {
  const dir = new URL("examples/", root);
  let seen = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".yaml")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    assert.ok(
      validate(parseYaml(text)),
      `${entry.name}: ${JSON.stringify(validate.errors)}`,
    );
    assert.equal(problems(text, { SOCKIT_TOKEN: "x" }), "", entry.name);
    seen++;
  }
  assert.ok(seen >= 2, "examples/ holds the plans");
});
