"""Run a profile's HTTP operation template (admin API, test hooks).

Playwright's APIRequestContext bounds a whole call (connect, headers and body) by its
`timeout`, so a server that stalls or trickles is cut there; what it says then names neither
the server nor the setting, so the sentence here does (E2E_HTTP_TIMEOUT bounds every caller).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

from playwright.sync_api import APIRequestContext, APIResponse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pydantic import SecretStr

from authprobe.errors import OperationFailed, ServerStalled, ServerUnreachable
from authprobe.profile import HttpOperation
from authprobe.tls import Trust, certificate_problem


def fill(template: object, values: dict[str, Any]) -> object:
    """Fill `{name}` placeholders; a value that is exactly one placeholder keeps its type."""
    if isinstance(template, str):
        stripped = template.strip()
        if stripped.startswith("{") and stripped.endswith("}") and stripped[1:-1] in values:
            return values[stripped[1:-1]]
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def send(
    request: APIRequestContext,
    operation: HttpOperation,
    values: dict[str, Any],
    headers: dict[str, SecretStr],
    *,
    timeout_s: float,
    what: str | None = None,
) -> APIResponse:
    """Run the operation and return its response whatever the status (callers judge it).

    Header values (tokens) stay `SecretStr` until the call expression that sends them. A call
    that does not finish within `timeout_s` (E2E_HTTP_TIMEOUT) raises `ServerStalled`."""
    path = operation.path.format(**{k: quote(str(v), safe="") for k, v in values.items()})
    body = fill(operation.json_body, values) if operation.json_body is not None else None
    try:
        return request.fetch(
            path,
            method=operation.method,
            headers={**{name: value.get_secret_value() for name, value in headers.items()},
                     **({"Content-Type": "application/json"} if body is not None else {})},
            data=json.dumps(body) if body is not None else None,
            timeout=timeout_s * 1000,
            fail_on_status_code=False,
            max_redirects=0,
        )
    except PlaywrightError as exc:
        # Playwright's message carries a call log listing the request headers (the admin or
        # hook token): keep only its first line and the server's origin, never chain it.
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        server, headers_came = _server_of(text), "\n  - \u2190 " in text
        doing = f"{operation.method} {operation.path}" + (f" ({what})" if what else "")
        if isinstance(exc, PlaywrightTimeout):
            got = (f"sent the headers of its answer to {doing} but not the rest" if headers_came
                   else f"did not answer {doing}")
            raise ServerStalled(
                f"{server} {got} within {timeout_s:g} s; check that it is healthy, or raise "
                "E2E_HTTP_TIMEOUT if it is only slow.") from None
        origin = _origin_of(text)
        untrusted = certificate_problem(origin or "the target", first, Trust(),
                                        what=f"The server answering {doing}")
        if untrusted is not None:
            raise ServerUnreachable(untrusted) from None
        raise OperationFailed(f"{doing} got no answer from {server} ({first[:160]})") from None


def call(
    request: APIRequestContext,
    operation: HttpOperation,
    values: dict[str, Any],
    headers: dict[str, SecretStr],
    *,
    timeout_s: float,
    what: str,
) -> APIResponse:
    response = send(request, operation, values, headers, timeout_s=timeout_s, what=what)
    if response.status not in operation.ok_status:
        raise OperationFailed(
            f"{what}: {operation.method} {operation.path} answered HTTP {response.status} "
            f"(expected {operation.ok_status}): {response.text()[:200]}"
        )
    return response


def _server_of(playwright_message: str) -> str:
    """"The server at <origin>" from the call log's request line (`→ POST http://host/path`)."""
    origin = _origin_of(playwright_message)
    return f"The server at {origin}" if origin else "The target"


def _origin_of(playwright_message: str) -> str | None:
    """The origin of the call log's request line; the origin only, since a path can carry an
    address the profile filled in."""
    for line in playwright_message.splitlines():
        _, arrow, request = line.partition("\u2192 ")
        if arrow and " " in request:
            parts = urlsplit(request.split(" ", 1)[1].strip())
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return None
