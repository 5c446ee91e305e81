import assert from "node:assert/strict";
import { SockitError } from "../../lib/io/errors.ts";
import { QueueReader, WatchedWriter } from "../../lib/io/memory.ts";
import { listenLoopback } from "../../lib/net/listen.ts";
import { runTcpEchoClient } from "../../lib/tcp_echo/client.ts";
import { withTimeout } from "../_helpers.ts";

Deno.test("at the >>> prompt, a server that closes is reported when it closes, not at the next line", async () => {
  using listener = listenLoopback();
  const stdin = new QueueReader();
  const stdout = new WatchedWriter();
  const io = {
    stdin,
    stdinIsTerminal: true,
    stdout,
    stderr: new WatchedWriter(),
  };
  const client = runTcpEchoClient({
    endpoint: {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: listener.addr.port,
    },
    messages: [],
    expects: [],
    timeoutMs: 5000,
  }, io);
  const conn = await listener.accept();
  await stdout.waitFor(/>>> $/);
  stdin.push("hi\n");
  const line = new Uint8Array(3);
  let got = 0;
  while (got < 3) got += (await conn.read(line.subarray(got)))!;
  await conn.write(new TextEncoder().encode("hi\n"));
  await stdout.waitFor(/hi\n>>> $/);
  conn.close(); // The user types nothing more.
  await assert.rejects(
    withTimeout(client, 5000, "the client to notice the close"),
    (err: unknown) => {
      assert.ok(err instanceof SockitError);
      assert.match(
        err.message,
        /^tcp:\/\/127\.0\.0\.1:\d+ closed the connection$/,
      );
      return true;
    },
  );
  stdin.close();
});
