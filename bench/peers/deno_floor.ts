// deno-lint-ignore-file no-console -- a standalone benchmark peer prints its port.
/**
 * The runtime's floor for sockit's servers: the plainest Deno loops that
 * do the same work with no protection at all. `tcp BYTES`: an echo that
 * reads into one buffer of BYTES per connection and writes back what it
 * read. `udp`: one socket, `receive(buf)` into one reused buffer, each
 * datagram sent back uppercased (ASCII), eight receives in flight as
 * sockit keeps. Binds 127.0.0.1 on a free port and prints "ready PORT".
 *
 *   deno run --allow-net --unstable-net bench/peers/deno_floor.ts tcp 262144
 *   deno run --allow-net --unstable-net bench/peers/deno_floor.ts udp
 */

const [kind, size] = Deno.args;
if (kind === "tcp") {
  const bytes = Number(size ?? 65536);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log("ready", listener.addr.port);
  for await (const conn of listener) {
    conn.setNoDelay(true);
    (async () => {
      const buffer = new Uint8Array(bytes);
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          let at = 0;
          while (at < n) at += await conn.write(buffer.subarray(at, n));
        }
      } catch {
        // The load generator went away.
      }
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    })();
  }
} else {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: "127.0.0.1",
    port: 0,
  });
  console.log("ready", (socket.addr as Deno.NetAddr).port);
  const receiver = async () => {
    const buffer = new Uint8Array(65536);
    while (true) {
      const [data, from] = await socket.receive(buffer);
      const reply = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const b = data[i]!;
        reply[i] = b >= 97 && b <= 122 ? b - 32 : b;
      }
      socket.send(reply, from).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: 8 }, receiver));
}
