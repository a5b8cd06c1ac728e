"""A tiny, fast HTTP/1.1 upstream for the capture benchmark: keep-alive, fixed answers.

GET answers 200 with a small network list; POST, PUT, PATCH answer 201 with a
created network; DELETE answers 204. Raw asyncio, so that the upstream costs
little next to what is measured in front of it.

    python bench/fast_upstream.py PORT
"""

from __future__ import annotations

import asyncio
import sys

_LIST = b'{"networks": [{"id": "5f2d6c2e-8d0a-4c1e-9a4b-0d3f2b6f1a11", "name": "net1", "status": "ACTIVE"}]}'
_CREATED = b'{"network": {"id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "name": "bench", "status": "ACTIVE"}}'


def _answer(status: bytes, body: bytes) -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
    head += b"X-Openstack-Request-Id: req-bench\r\nContent-Length: %d\r\n\r\n" % len(body)
    return head + body


ANSWERS = {
    b"GET": _answer(b"200 OK", _LIST),
    b"DELETE": b"HTTP/1.1 204 No Content\r\nX-Openstack-Request-Id: req-bench\r\n\r\n",
}
WRITE_ANSWER = _answer(b"201 Created", _CREATED)


class Upstream(asyncio.Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            method = head.split(b" ", 1)[0]
            self.transport.write(ANSWERS.get(method, WRITE_ANSWER))


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
