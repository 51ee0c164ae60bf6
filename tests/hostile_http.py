"""A fake HTTP server on 127.0.0.1 that answers well until one chosen request, then stalls or
trickles its answer, at the headers or in the body.

It speaks just enough HTTP/1.1 for requests (the SMS gateway's client) and Playwright's
APIRequestContext (the admin API and test hooks): one request per connection, answered with a
Content-Length and `Connection: close`. The chosen request (method and path prefix) gets
either nothing more (``stall``) or its answer one byte every 0.5 s (``trickle``), which keeps
every single read inside any socket timeout: only a deadline on the whole call ends it. At
``headers`` it misbehaves from the status line on; at ``body`` it sends the status line and
headers whole, then misbehaves in the body.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from tests.hostile_server import serving

__all__ = ["Answer", "HostileHttp", "Mode", "Where", "hostile_http"]

Mode = Literal["stall", "trickle"]
Where = Literal["headers", "body"]
TRICKLE_GAP = 0.5  # seconds between two bytes of a trickled answer
PADDED = 200  # bytes of the misbehaving answer's body (JSON, then spaces): 100 s trickled
Answer = tuple[int, object]  # status, JSON body
Answers = Callable[[str, str], Answer]  # (method, path) -> the answer a healthy server gives


def _no_content(method: str, path: str) -> Answer:
    return 404, {"error": "not found"}


@dataclass
class HostileHttp:
    """The running server: where it listens, what it misbehaves at, and what it was asked."""

    method: str
    path_prefix: str
    mode: Mode
    where: Where
    answers: Answers = _no_content
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[str] = field(default_factory=list)  # "METHOD /path", in arrival order
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def hostile(self, method: str, path: str) -> bool:
        return method == self.method and path.startswith(self.path_prefix)

    def serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            reader = conn.makefile("rb")
            request_line = reader.readline().decode("latin-1").split()
            if len(request_line) < 2:
                return
            method, path = request_line[0], request_line[1]
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            reader.read(length)
            self.requests.append(f"{method} {path}")
            status, body = self.answers(method, path)
            data = json.dumps(body).encode()
            if self.hostile(method, path):  # long enough that a trickle outlasts any deadline
                data = data.ljust(PADDED)
            head = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
            if not self.hostile(method, path):
                conn.sendall(head + data)
            elif self.where == "body":
                conn.sendall(head)
                self._misbehave(conn, data)
            else:
                self._misbehave(conn, head + data)

    def _misbehave(self, conn: socket.socket, answer: bytes) -> None:
        if self.mode == "stall":
            self.stop.wait()
            return
        for byte in answer:
            if self.stop.wait(TRICKLE_GAP):
                return
            conn.sendall(bytes([byte]))


@contextlib.contextmanager
def hostile_http(method: str, path_prefix: str, mode: Mode, where: Where,
                 answers: Answers = _no_content) -> Iterator[HostileHttp]:
    """Serve on a free port until the block ends; then every connection is let go."""
    with serving(HostileHttp(method, path_prefix, mode, where, answers)) as server:
        yield server
