"""What the IdP is told to do wrong next (test mode): one ID-token fault per user, consumed by
the next ID token issued for them, and an outage of its OIDC endpoints until a deadline.

Per process, in memory: the hooks arm them, the validator and the outage middleware read
them, from werkzeug's request threads (hence the lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

ID_TOKEN_FAULTS = ("audience", "signature", "retired_key", "issuer", "expired")
OIDC_PREFIX = "/o/"

_lock = threading.Lock()
_armed: dict[str, str] = {}  # email (lower case) → fault
_outage_until = 0.0  # time.monotonic() deadline


def arm(email: str, fault: str) -> None:
    with _lock:
        _armed[email.lower()] = fault


def take(email: str) -> str | None:
    """The fault armed for `email`, disarmed by this call."""
    with _lock:
        return _armed.pop(email.lower(), None)


def start_outage(seconds: float) -> None:
    """Every OIDC endpoint answers 503 for `seconds` from now (0 ends an outage)."""
    global _outage_until
    with _lock:
        _outage_until = time.monotonic() + max(seconds, 0.0)


def in_outage() -> bool:
    with _lock:
        return time.monotonic() < _outage_until


def outage_middleware(get_response: Callable[[HttpRequest], HttpResponse],
                      ) -> Callable[[HttpRequest], HttpResponse]:
    """During an outage /o/... answers 503 to everyone, the app's backend and browsers alike."""
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OIDC_PREFIX) and in_outage():
            response = JsonResponse({"error": "temporarily_unavailable"}, status=503)
            response["Retry-After"] = "1"
            return response
        return get_response(request)

    return middleware
