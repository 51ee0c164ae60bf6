"""A GET with one total deadline, for the preflight (before any browser exists).

`urllib`'s timeout bounds each socket read, so a server that sends its headers and then
trickles a byte every two seconds never times out. Here every read gets only what is
left of one deadline for the whole answer.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from authprobe.errors import DeadlineExceeded


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str


def get(url: str, deadline_s: float, max_bytes: int = 65536,
        headers: dict[str, str] | None = None, method: str = "GET",
        body: object | None = None, tls: ssl.SSLContext | None = None) -> Answer:
    """One request (GET unless told); connect, headers and body must end within `deadline_s`.

    `tls` is the run's trust (`Target.tls()`: the system store plus E2E_CA_BUNDLE); an
    untrusted certificate raises URLError whose reason is `ssl.SSLCertVerificationError`."""
    ends = time.monotonic() + deadline_s
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={**(headers or {}), **({"Content-Type": "application/json"} if data else {})})
    try:
        response = urllib.request.urlopen(request, timeout=deadline_s, context=tls)  # noqa: S310
    except urllib.error.HTTPError as exc:
        response = exc
    except TimeoutError:
        raise DeadlineExceeded(f"{url} did not answer within {deadline_s:g} s") from None
    with response:
        status = response.status if hasattr(response, "status") else response.code
        content_type = response.headers.get("content-type", "")
        sock = _socket_of(response)
        chunks: list[bytes] = []
        size = 0
        while size < max_bytes:
            left = ends - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded(
                    f"{url} sent its headers but not the rest of its answer within {deadline_s:g} s")
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = response.read1(max_bytes - size)
            except TimeoutError:
                raise DeadlineExceeded(
                    f"{url} sent its headers but not the rest of its answer within {deadline_s:g} s"
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return Answer(int(status), content_type, b"".join(chunks).decode("utf-8", "replace"))


def _socket_of(response: object) -> socket.socket | None:
    fp = getattr(response, "fp", None)
    raw = getattr(fp, "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None
