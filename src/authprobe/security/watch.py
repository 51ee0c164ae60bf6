"""Watchers of what the browser itself sends while the suite runs.

A run types real credentials and follows one-time links; if the target (or the
suite) ships them to a third party, that is a leak the suite caused. These
watchers record a context's traffic so an e2e test can fail on it.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import quote, urlsplit

from playwright.sync_api import BrowserContext, Error, Request, WebSocket
from pydantic import SecretStr

from authprobe.errors import EgressViolation

IGNORED_SCHEMES = frozenset({"data", "blob", "about", "chrome", "chrome-extension", "devtools"})
BODY_LIMIT = 256 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_WS_AS_HTTP = {"ws": "http", "wss": "https"}


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower-cased, default port dropped, ws(s) counted as http(s)."""
    parts = urlsplit(url)
    scheme = _WS_AS_HTTP.get(parts.scheme.lower(), parts.scheme.lower())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def without_query(url: str) -> str:
    """The URL minus query, fragment and user info: the parts that may carry tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


class EgressWatch:
    """Records every request of a browser context and flags those leaving the allowed set.

    `allow_hosts` takes host names or shell patterns (`*.example.com`, which does not
    match `example.com` itself). In `report` mode `assert_clean` only returns the list.
    """

    def __init__(
        self,
        allowed_origins: Sequence[str],
        allow_hosts: Sequence[str] = (),
        mode: Literal["enforce", "report"] = "enforce",
    ) -> None:
        self.allowed_origins = frozenset(origin_of(o) for o in allowed_origins)
        self.allow_hosts = tuple(h.lower() for h in allow_hosts)
        self.mode = mode
        self.seen: list[str] = []

    def attach(self, context: BrowserContext) -> None:
        """Watch every page and worker of `context`, including pages opened later."""
        context.on("request", self._on_request)
        context.on("page", lambda page: page.on("websocket", self._on_websocket))
        for page in context.pages:
            page.on("websocket", self._on_websocket)

    def _on_request(self, request: Request) -> None:
        self.seen.append(request.url)

    def _on_websocket(self, socket: WebSocket) -> None:
        self.seen.append(socket.url)

    def allows(self, url: str) -> bool:
        """Whether a request to `url` stays inside what the run allows."""
        scheme = urlsplit(url).scheme.lower()
        if scheme in IGNORED_SCHEMES:
            return True
        if origin_of(url) in self.allowed_origins:
            return True
        host = (urlsplit(url).hostname or "").lower()
        return any(fnmatchcase(host, pattern) for pattern in self.allow_hosts)

    def outside(self) -> list[str]:
        """Full URLs (queries included: handle with care) of every request outside."""
        return [url for url in self.seen if not self.allows(url)]

    def assert_clean(self) -> list[str]:
        """Raise `EgressViolation` (enforce mode) or return the offending URLs (report mode)."""
        offending = self.outside()
        if offending and self.mode == "enforce":
            raise EgressViolation(describe_egress(offending, self.allowed_origins))
        return offending


def describe_egress(urls: Sequence[str], allowed: frozenset[str]) -> str:
    """One line per offending URL with its count; queries stripped since they may hold tokens."""
    counts = Counter(without_query(url) for url in urls)
    lines = [f"  {url} ({n} request{'s' if n > 1 else ''})" for url, n in counts.items()]
    return (
        f"the browser contacted {len(counts)} URL(s) outside the allowed origins "
        f"({', '.join(sorted(allowed)) or 'none'}):\n"
        + "\n".join(lines)
        + "\nIf this is expected, add the origin or host to E2E_EGRESS_ALLOW."
    )


@dataclass
class Exchange:
    """One request and, once finished, its response. Headers and body stay out of the repr."""

    url: str
    method: str
    request_headers: dict[str, str] = field(repr=False)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: str | None = field(default=None, repr=False)


class DataFlowLog:
    """Keeps each request of a context with its headers, status and (HTML/JSON) body."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._pending: dict[Request, Exchange] = {}

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("requestfinished", self._on_finished)
        context.on("requestfailed", self._on_failed)

    def _on_request(self, request: Request) -> None:
        exchange = Exchange(request.url, request.method, dict(request.headers))
        self.exchanges.append(exchange)
        self._pending[request] = exchange

    def _on_failed(self, request: Request) -> None:
        self._pending.pop(request, None)

    def _on_finished(self, request: Request) -> None:
        exchange = self._pending.pop(request, None)
        if exchange is None:
            return
        try:
            exchange.request_headers = request.all_headers()
            response = request.response()
        except Error:  # page or context closed while we asked
            return
        if response is None:
            return
        exchange.status = response.status
        exchange.response_headers = dict(response.headers)
        content_type = exchange.response_headers.get("content-type", "")
        if "text/html" in content_type or "json" in content_type:
            try:
                exchange.body = response.body()[:BODY_LIMIT].decode("utf-8", "replace")
            except Error:  # redirects and evicted resources have no body
                exchange.body = None


def tokens_in_urls(
    log: DataFlowLog, tokens: Sequence[str], target_origin: str
) -> list[tuple[str, str]]:
    """`(url without query, where)` for each request leaving `target_origin` that carries a token.

    `where` is "url" or "referer". Only requests to other origins count: the target
    already knows its own tokens, a third party must not. Tokens are redacted from the
    returned URL as well, since they may sit in its path.
    """
    target = origin_of(target_origin)
    forms = [(token, quote(token, safe="")) for token in tokens if token]
    found: list[tuple[str, str]] = []
    for exchange in log.exchanges:
        if urlsplit(exchange.url).scheme in IGNORED_SCHEMES or origin_of(exchange.url) == target:
            continue
        referer = exchange.request_headers.get("referer", "")
        for where, text in (("url", exchange.url), ("referer", referer)):
            if any(raw in text or encoded in text for raw, encoded in forms):
                found.append((_redact(without_query(exchange.url), forms), where))
    return found


def _redact(url: str, forms: Sequence[tuple[str, str]]) -> str:
    for raw, encoded in forms:
        url = url.replace(raw, "[token]").replace(encoded, "[token]")
    return url


def echoed(log: DataFlowLog, secret: SecretStr | str) -> list[Exchange]:
    """Responses whose body repeats a submitted password (raw, HTML- or JSON-escaped)."""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        return []
    forms = {value, html.escape(value), json.dumps(value)[1:-1]}
    return [
        exchange
        for exchange in log.exchanges
        if exchange.body is not None and any(form in exchange.body for form in forms)
    ]
