/**
 * The servers a case runs side by side: sockit, and the reference peers
 * present on this machine (C, Python, Node, socat).
 *
 * @module
 */

import type { ServerProcess } from "../sockit_process.ts";
import { sockitArgv } from "../sockit_process.ts";
import { BUILD, has, HOST, ROOT, startServer } from "./processes.ts";

/** A server under test: its name in the tables, and how to start it. */
export interface Peer {
  name: string;
  start(): Promise<ServerProcess>;
}

/** The reference peers' names per transport, as the tables show them. */
export const PEER_NAMES = {
  tcp: { c: "C epoll", python: "Python asyncio", node: "Node net" },
  udp: { c: "C recvfrom", python: "Python plain loop", node: "Node dgram" },
};

/** The floor peers' names, as the report finds them. */
export const DENO_LOOP_64K = "Deno loop, 64 KiB";
export const DENO_LOOP_256K = "Deno loop, 256 KiB";
export const DENO_UDP_LOOP = "Deno receive(buf) loop";

function peer(name: string, argv: () => string[]): Peer {
  return { name, start: () => startServer(argv()) };
}

/** socat's echo, on a port found free just before; ready once it accepts. */
function startSocat(): Promise<ServerProcess> {
  return startSocatTo("PIPE");
}

/**
 * socat listening on a port found free just before, forking `address`
 * (its `PIPE` echo, or `TCP:HOST:PORT` as a relay) per connection; ready
 * once it accepts.
 */
export async function startSocatTo(address: string): Promise<ServerProcess> {
  const probe = Deno.listen({ hostname: HOST, port: 0 });
  const port = probe.addr.port;
  probe.close();
  const server = await startServer([
    "/bin/sh",
    "-c",
    'echo "socat on $1"; exec socat "TCP-LISTEN:$1,bind=127.0.0.1,fork,reuseaddr,backlog=1024" "$2"',
    "sh",
    String(port),
    address,
  ]);
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return server;
}

/** sockit and the peers present on this machine, for TCP echo or UDP uppercase. */
export async function peersFor(kind: "tcp" | "udp"): Promise<Peer[]> {
  const names = PEER_NAMES[kind];
  const service = kind === "tcp"
    ? ["tcp-echo", "server"]
    : ["udp-upper", "server", "--rate", "0"];
  const peers = [
    peer(
      "sockit",
      () => [...sockitArgv(), ...service, "--port", "0", "--quiet"],
    ),
    peer(names.c, () => [`${BUILD}/echo_epoll`, kind]),
  ];
  if (await has("python3")) {
    peers.push(
      peer(
        names.python,
        () => ["python3", `${ROOT}bench/peers/py_servers.py`, kind],
      ),
    );
  }
  if (await has("node")) {
    peers.push(
      peer(
        names.node,
        () => ["node", `${ROOT}bench/peers/node_servers.mjs`, kind],
      ),
    );
  }
  if (kind === "tcp" && await has("socat")) {
    peers.push({ name: "socat PIPE", start: startSocat });
  }
  // The runtime's floor: the plainest Deno loops, no protection at all.
  const floor = (...args: string[]) => () => [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--unstable-net",
    `${ROOT}bench/peers/deno_floor.ts`,
    ...args,
  ];
  if (kind === "tcp") {
    peers.push(peer(DENO_LOOP_64K, floor("tcp", "65536")));
    peers.push(peer(DENO_LOOP_256K, floor("tcp", "262144")));
  } else peers.push(peer(DENO_UDP_LOOP, floor("udp")));
  return peers;
}
