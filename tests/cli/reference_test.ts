/**
 * What is generated from the command definitions stays true: the committed
 * reference, man page and completions are exactly what `deno task docs`
 * writes; the man page lints clean and names every command; and the
 * completions complete in the real shells.
 */
import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { generatedDocs } from "../../scripts/docs.ts";
import { SERVICES } from "../../lib/services.ts";

const ROOT = new URL("../../", import.meta.url);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("the committed reference, man page and completions are what deno task docs writes", async () => {
  for (const [path, text] of generatedDocs()) {
    const committed = await Deno.readTextFile(new URL(path, ROOT)).catch(() =>
      ""
    );
    assert.ok(
      committed === text,
      `${path} is out of date: run deno task docs and commit it`,
    );
  }
});

Deno.test("the reference names every command and every option the parser knows", async () => {
  const reference = await Deno.readTextFile(
    new URL("docs/REFERENCE.md", ROOT),
  );
  for (const service of SERVICES) {
    for (const command of service.commands) {
      const name = ["sockit", service.name, command.role].filter(Boolean).join(
        " ",
      );
      assert.ok(reference.includes(`### ${name}`), name);
      for (const key of Object.keys(command.options)) {
        const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        const option = command.options[key]!;
        assert.ok(
          option.env !== undefined || reference.includes(flag),
          `${name} ${flag}`,
        );
      }
    }
  }
});

Deno.test(
  "the man page lints clean with mandoc and shows every command",
  requires("mandoc"),
  async () => {
    const page = new URL("docs/sockit.1", ROOT).pathname;
    const lint = await new Deno.Command("mandoc", {
      args: ["-Tlint", "-W", "style", page],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(decode(lint.stdout) + decode(lint.stderr), "");
    assert.equal(lint.code, 0);
    const shown = await new Deno.Command("mandoc", {
      args: ["-Tascii", page],
      stdout: "piped",
    }).output();
    // Bold and underline are overstrikes: a character, a backspace, another.
    let text = "";
    for (const ch of decode(shown.stdout)) {
      text = ch === "\b" ? text.slice(0, -1) : text + ch;
    }
    for (const service of SERVICES) {
      assert.ok(text.includes(`sockit ${service.name}`), service.name);
    }
    assert.match(text, /EXIT STATUS/);
  },
);

/** What bash's completion offers for the words of a command line (the last may be partial). */
async function bashCompletes(...words: string[]): Promise<string[]> {
  const script = new URL("docs/completions/sockit.bash", ROOT).pathname;
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _sockit; printf '%s\\n' "\${COMPREPLY[@]}"`,
      "bash",
      script,
      ...words,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(decode(out.stderr), "");
  return decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test(
  "the bash completion offers services, roles, options, enumerated values and files",
  requires("bash"),
  async () => {
    assert.deepEqual(await bashCompletes("sockit", "re"), ["relay"]);
    assert.deepEqual(await bashCompletes("sockit", "tcp-echo", ""), [
      "server",
      "client",
      "--help",
    ]);
    assert.deepEqual(await bashCompletes("sockit", "relay", "server", "--fa"), [
      "--faults",
    ]);
    assert.deepEqual(
      await bashCompletes("sockit", "relay", "server", "--faults", ""),
      ["both", "upstream", "downstream"],
    );
    assert.deepEqual(
      await bashCompletes("sockit", "exec", "server", "--log-format", ""),
      ["text", "json"],
    );
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/cert.pem`, "");
      assert.deepEqual(
        await bashCompletes(
          "sockit",
          "tcp-echo",
          "server",
          "--tls-cert",
          `${dir}/ce`,
        ),
        [`${dir}/cert.pem`],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    assert.deepEqual(await bashCompletes("sockit", "demo", "--he"), ["--help"]);
  },
);

Deno.test("the zsh completion offers the same", requires("zsh"), async () => {
  const script = new URL("docs/completions/_sockit", ROOT).pathname;
  const complete = async (...words: string[]) => {
    const out = await new Deno.Command("zsh", {
      args: [
        "-f",
        "-c",
        // compadd and _files stand in for zsh's completion system: they print
        // what it would be offered, filtered by the word typed, as zsh does.
        `compdef() { :; }
compadd() { [[ $1 == -- ]] && shift; local w; for w in "$@"; do [[ $w == "$PREFIX"* ]] && print -r -- "$w"; done; }
_files() { print -r -- "(files $*)"; }
source "$1"; shift
words=("$@"); CURRENT=$#; PREFIX="\${words[CURRENT]}"
_sockit`,
        "zsh",
        script,
        ...words,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(decode(out.stderr), "");
    return decode(out.stdout).split("\n").filter(Boolean);
  };
  assert.deepEqual(await complete("sockit", "re"), ["relay"]);
  assert.deepEqual(await complete("sockit", "relay", "server", "--fa"), [
    "--faults",
  ]);
  assert.deepEqual(
    await complete("sockit", "exec", "server", "--log-format", ""),
    [
      "text",
      "json",
    ],
  );
  assert.deepEqual(
    await complete("sockit", "tcp-echo", "server", "--tls-cert", ""),
    ["(files )"],
  );
});

Deno.test("the fish completion offers the same", requires("fish"), async () => {
  const script = new URL("docs/completions/sockit.fish", ROOT).pathname;
  const complete = async (line: string) => {
    const out = await new Deno.Command("fish", {
      args: [
        "--no-config",
        "-c",
        `source $argv[1]; complete -C "$argv[2]"`,
        script,
        line,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(decode(out.stderr), "");
    return decode(out.stdout).split("\n").filter(Boolean).map((l) =>
      l.split("\t")[0]
    );
  };
  assert.deepEqual(await complete("sockit re"), ["relay"]);
  assert.deepEqual(await complete("sockit relay server --fa"), ["--faults"]);
  assert.deepEqual(await complete("sockit exec server --log-format "), [
    "json",
    "text",
  ]);
  assert.ok((await complete("sockit tcp-echo ")).includes("server"));
});

Deno.test("the man page's date is the release's date in CHANGELOG.md", async () => {
  const { RELEASE_DATE } = await import("../../lib/services.ts");
  const version = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ).version;
  const changelog = await Deno.readTextFile(new URL("CHANGELOG.md", ROOT));
  assert.ok(
    changelog.includes(`## [${version}] - ${RELEASE_DATE}`),
    `CHANGELOG.md has "## [${version}] - ${RELEASE_DATE}"`,
  );
});

Deno.test("sockit --help's usage lines come from the list of services: none is missing", async () => {
  const { topLevelHelp } = await import("../../lib/cli/help.ts");
  const usage = topLevelHelp(SERVICES).split("\n\n")[1]!;
  for (const service of SERVICES) {
    assert.match(usage, new RegExp(`^  sockit ${service.name}( |$)`, "m"));
  }
});

Deno.test("sockit completions and sockit man print what deno task docs commits; a bad shell is exit 2 with one line", async () => {
  const { runSockit } = await import("../_sockit.ts");
  const generated = new Map(generatedDocs());
  const bash = await runSockit(["completions", "bash"]);
  assert.equal(bash.code, 0, bash.stderr);
  assert.equal(bash.stdout, generated.get("docs/completions/sockit.bash"));
  const man = await runSockit(["man"]);
  assert.equal(man.code, 0, man.stderr);
  assert.equal(man.stdout, generated.get("docs/sockit.1"));
  for (const args of [["completions"], ["completions", "pwsh"]]) {
    const bad = await runSockit(args);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.match(
      bad.stderr,
      /^sockit: .*bash, zsh, fish \(see 'sockit completions --help'\)\n$/,
    );
  }
});
