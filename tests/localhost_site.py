"""A tiny web page on http://localhost:PORT for tests that drive WebAuthn in a real browser:
WebAuthn needs a secure context and refuses an IP address as relying-party ID."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Page(BaseHTTPRequestHandler):
    """Answers every GET with `body` (set by a subclass) and keeps every POST body."""

    body: bytes = b""
    posted: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(self.body)

    def do_POST(self) -> None:  # noqa: N802
        self.posted.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self._answer(b"<h1>done</h1>")

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def localhost_site(handler: type[Page]) -> Iterator[str]:
    """Serve `handler` on a free port; yields its origin as `http://localhost:PORT`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
