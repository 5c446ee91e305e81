/**
 * The cheapest way a Deno process can move stdin to stdout: `readSync`
 * and `writeSync` on the main thread, 1 MiB at a time (a pipe gives at
 * most 64 KiB a read), no event loop between. sockit cannot work this way
 * (a client that blocks in `readSync` stops printing what the server
 * sends), so this is a bound no Deno program on the path can pass, not a
 * design: the streamed exec case shows that even it stays under half of a
 * direct pipe here (bench/NOTES.md).
 *
 *   head -c 256M /dev/zero | deno run bench/peers/deno_copy_sync.ts | wc -c
 *
 * @module
 */

const buffer = new Uint8Array(1024 * 1024);
while (true) {
  const n = Deno.stdin.readSync(buffer);
  if (n === null) break;
  let at = 0;
  while (at < n) at += Deno.stdout.writeSync(buffer.subarray(at, n));
}
