"""Reference peers in Python: an asyncio (Protocol) echo server, and the
seeds' style UDP uppercase server (a plain recvfrom/sendto loop). Binds
127.0.0.1 on a free port and prints "ready PORT".

    python3 py_servers.py tcp | udp
"""
import asyncio
import socket
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)


async def tcp():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0)
    print("ready", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    print("ready", s.getsockname()[1], flush=True)
    while True:
        data, addr = s.recvfrom(65536)
        s.sendto(data.upper(), addr)


if sys.argv[1] == "udp":
    udp()
else:
    asyncio.run(tcp())
