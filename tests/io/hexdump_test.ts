import assert from "node:assert/strict";
import { requires } from "../_platform.ts";
import { hexdumpRows } from "../../lib/io/hexdump.ts";
import { randomPayload } from "../_helpers.ts";

Deno.test(
  "hexdumpRows() writes the rows hexdump -v -C writes, for every length around a row's edges",
  requires("hexdump"),
  async () => {
    const file = await Deno.makeTempFile();
    try {
      for (const length of [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100]) {
        const bytes = randomPayload(length);
        await Deno.writeFile(file, bytes);
        const { stdout } = await new Deno.Command("hexdump", {
          args: ["-v", "-C", file],
        }).output();
        const rows = new TextDecoder().decode(stdout).split("\n")
          .filter((line) => line.includes("|"));
        assert.deepEqual(hexdumpRows(bytes), rows, `${length} bytes`);
      }
    } finally {
      await Deno.remove(file);
    }
  },
);

Deno.test("hexdumpRows() numbers rows from the offset it is given", () => {
  const rows = hexdumpRows(new Uint8Array(20), 0x100);
  assert.deepEqual(rows.map((row) => row.slice(0, 8)), [
    "00000100",
    "00000110",
  ]);
});
