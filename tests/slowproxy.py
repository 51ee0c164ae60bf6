"""A real HTTP proxy for tests that need a slow target: forwards each request to the
upstream app, holding back the ones that match a rule for a while first."""

from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class SlowProxy:
    upstream_port: int
    delay_s: float = 0.0
    slow: re.Pattern[str] = re.compile(r"^$")  # request lines ("DELETE /path HTTP/1.1") to delay
    drop: bool = False  # after the delay, close instead of forwarding (the call never lands)
    seen: list[str] = field(default_factory=list)
    slowed: threading.Event = field(default_factory=threading.Event)
    port: int = 0


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    need = int(length.group(1)) if length else 0
    while len(body) < need:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    # one request per connection keeps the rules simple
    head = re.sub(rb"(?im)^connection:.*\r\n", b"", head + b"\r\n") + b"Connection: close"
    return head + b"\r\n\r\n" + body


@contextmanager
def slow_proxy(upstream_port: int) -> Iterator[SlowProxy]:
    proxy = SlowProxy(upstream_port)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            request = _read_request(self.request)
            if not request:
                return
            line = request.split(b"\r\n", 1)[0].decode("latin-1")
            proxy.seen.append(line)
            if proxy.slow.search(line):
                proxy.slowed.set()
                time.sleep(proxy.delay_s)
                if proxy.drop:
                    return
            try:
                with socket.create_connection(("127.0.0.1", proxy.upstream_port), timeout=30) as up:
                    up.sendall(request)
                    while chunk := up.recv(65536):
                        self.request.sendall(chunk)
            except OSError:
                pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", 0), Handler) as server:
        proxy.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            server.shutdown()
