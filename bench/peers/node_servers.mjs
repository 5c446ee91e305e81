// deno-lint-ignore-file no-console -- a standalone benchmark peer prints its results.
// Reference peers in Node.js: a `net` echo server and a `dgram` uppercase
// server on 127.0.0.1, a free port; prints "ready PORT".
//   node node_servers.mjs tcp | udp
import net from "node:net";
import dgram from "node:dgram";

if (process.argv[2] === "udp") {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    socket.send(
      Buffer.from(msg.toString("latin1").toUpperCase(), "latin1"),
      rinfo.port,
      rinfo.address,
    );
  });
  socket.bind(
    0,
    "127.0.0.1",
    () => console.log(`ready ${socket.address().port}`),
  );
} else {
  const server = net.createServer((conn) => {
    conn.setNoDelay(true);
    conn.pipe(conn);
    conn.on("error", () => conn.destroy());
  });
  server.listen(
    0,
    "127.0.0.1",
    () => console.log(`ready ${server.address().port}`),
  );
}
