"""An ASGI app served by uvicorn in a daemon thread: the tests' in-process sandboxes."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn


class ServedApp:
    """`app` answering on `sock` (bound already) until `stop()`; started when constructed."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve(sockets=[sock])),
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "sandbox did not start"
            self._thread.join(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
