"""The listening side shared by the hostile servers (tests/hostile_imap.py, hostile_http.py):
each connection served on its own thread until the block ends, then every one let go."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Protocol, TypeVar


class Serves(Protocol):
    host: str
    port: int
    stop: threading.Event

    def serve(self, conn: socket.socket) -> None: ...


S = TypeVar("S", bound=Serves)


@contextlib.contextmanager
def serving(server: S) -> Iterator[S]:
    """Serve on a free port of `server.host` until the block ends."""
    listener = socket.create_server((server.host, 0))
    server.port = listener.getsockname()[1]
    conns: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                conns.append(conn)
                threading.Thread(target=server.serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server
    finally:
        server.stop.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
