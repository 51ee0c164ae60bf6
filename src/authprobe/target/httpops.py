"""Run a profile's HTTP operation template (admin API, test hooks)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from playwright.sync_api import APIRequestContext, APIResponse
from playwright.sync_api import Error as PlaywrightError
from pydantic import SecretStr

from authprobe.errors import OperationFailed
from authprobe.profile import HttpOperation


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
) -> APIResponse:
    """Run the operation and return its response whatever the status (callers judge it).

    Header values (tokens) stay `SecretStr` until the call expression that sends them."""
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
        # hook token): keep only its first line, and never chain the original exception.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OperationFailed(
            f"{operation.method} {operation.path} got no answer within {timeout_s:g} s "
            f"({first[:160]})") from None


def call(
    request: APIRequestContext,
    operation: HttpOperation,
    values: dict[str, Any],
    headers: dict[str, SecretStr],
    *,
    timeout_s: float,
    what: str,
) -> APIResponse:
    response = send(request, operation, values, headers, timeout_s=timeout_s)
    if response.status not in operation.ok_status:
        raise OperationFailed(
            f"{what}: {operation.method} {operation.path} answered HTTP {response.status} "
            f"(expected {operation.ok_status}): {response.text()[:200]}"
        )
    return response
