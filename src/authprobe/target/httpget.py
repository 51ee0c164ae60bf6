"""A request with one total deadline, for the preflight and doctor (before any browser exists).

`urllib`'s timeout bounds each socket read, so a server that trickles its status line, its
headers or its body a byte at a time never times out. Here the whole request (connect, TLS,
headers, body) runs under one `authprobe.watchdog` deadline: the connections urllib makes
record their sockets, and the deadline shuts them down when it passes.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authprobe.errors import DeadlineExceeded
from authprobe.watchdog import SocketWatch

_WATCH = SocketWatch()


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str


def _recording(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
    """`base` whose sockets are recorded in `_WATCH` as they are made (before any TLS)."""

    class Recording(base):  # type: ignore[valid-type,misc]  # a class made from an argument
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            create: Callable[..., socket.socket] = self._create_connection  # type: ignore[has-type]

            def record(*where: Any, **options: Any) -> socket.socket:
                sock: socket.socket = create(*where, **options)
                _WATCH.record(sock)
                return sock

            self._create_connection = record

    return Recording


_PLAIN = _recording(http.client.HTTPConnection)
_SECURE = _recording(http.client.HTTPSConnection)


class _Http(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_PLAIN, req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self._tls = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_SECURE, req, context=self._tls)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx itself is the answer (HTTPError below)


def get(url: str, deadline_s: float, max_bytes: int = 65536,
        headers: dict[str, str] | None = None, method: str = "GET",
        body: object | None = None, tls: ssl.SSLContext | None = None,
        redirects: bool = True) -> Answer:
    """One request (GET unless told); connect, headers and body must end within `deadline_s`.

    `tls` is the run's trust (`Target.tls()`: the system store plus E2E_CA_BUNDLE); an
    untrusted certificate raises URLError whose reason is `ssl.SSLCertVerificationError`.
    `redirects=False` answers a 3xx as it is: a session probe whose "signed out" is a
    redirect to the sign-in page must see that redirect, not the page's 200."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={**(headers or {}), **({"Content-Type": "application/json"} if data else {})})
    opener = urllib.request.build_opener(_Http(), _Https(tls), *(() if redirects else (_NoRedirects(),)))
    headers_seen = False
    with _WATCH.deadline(deadline_s) as deadline:
        try:
            try:
                response = opener.open(request, timeout=deadline_s)
            except urllib.error.HTTPError as exc:
                response = exc
            headers_seen = True
            with response:
                status = response.status if hasattr(response, "status") else response.code
                content_type = response.headers.get("content-type", "")
                payload = response.read(max_bytes)
            if deadline.expired:  # a shut-down socket reads as the end of the answer
                raise TimeoutError
        except (OSError, http.client.HTTPException) as exc:  # URLError and TimeoutError included
            if not (deadline.expired or isinstance(exc, TimeoutError)
                    or isinstance(getattr(exc, "reason", None), TimeoutError)):
                raise
            if headers_seen:
                raise DeadlineExceeded(f"{url} sent its headers but not the rest of its answer "
                                       f"within {deadline_s:g} s") from None
            raise DeadlineExceeded(f"{url} did not answer within {deadline_s:g} s") from None
    return Answer(int(status), content_type, payload.decode("utf-8", "replace"))
