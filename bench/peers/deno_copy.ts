/**
 * The runtime's floor for bytes through one Deno process: copies stdin to
 * stdout in 64 KiB reads (what a pipe gives at once), each write awaited.
 * The streamed exec case's reference: sockit's client is such a process,
 * and more.
 *
 *   head -c 256M /dev/zero | deno run bench/peers/deno_copy.ts | wc -c
 *
 * @module
 */

const buffer = new Uint8Array(64 * 1024);
while (true) {
  const n = await Deno.stdin.read(buffer);
  if (n === null) break;
  let at = 0;
  while (at < n) at += await Deno.stdout.write(buffer.subarray(at, n));
}
