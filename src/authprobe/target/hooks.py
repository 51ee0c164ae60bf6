"""The target's test hooks (expire sessions, age tokens, rotate signing keys), as its profile
lists them."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from authprobe.errors import HookUnavailable
from authprobe.profile import Hooks
from authprobe.target.httpops import call


class TestHooks:
    __test__ = False  # not a pytest test class

    def __init__(
        self, request: APIRequestContext, hooks: Hooks, token: SecretStr | None, timeout_s: float
    ) -> None:
        self._request = request
        self._hooks = hooks
        self._token = token
        self._timeout_s = timeout_s

    def _run(self, name: str, values: dict[str, Any]) -> Any:
        operation = self._hooks.all().get(name)
        if operation is None:
            raise HookUnavailable(f"the target profile lists no '{name}' hook")
        if self._token is None:
            raise HookUnavailable("E2E_HOOK_TOKEN is not set, so test hooks cannot be called")
        response = call(self._request, operation, values, {self._hooks.token_header: self._token},
                        timeout_s=self._timeout_s, what=f"test hook {name}")
        return response.json()

    def backdate_sessions(self, email: str, *, idle_seconds: int = 0, age_seconds: int = 0) -> int:
        """Make every session of `email` look idle/old by this many seconds."""
        answer = self._run("backdate_sessions",
                           {"email": email, "idle_seconds": idle_seconds, "age_seconds": age_seconds})
        return int(answer.get("sessions", 0)) if isinstance(answer, dict) else 0

    def backdate_tokens(self, email: str, *, kind: str, seconds: int) -> int:
        answer = self._run("backdate_tokens", {"email": email, "kind": kind, "seconds": seconds})
        return int(answer.get("tokens", 0)) if isinstance(answer, dict) else 0

    def rotate_keys(self, grace_seconds: int) -> None:
        """Make a new signing key current; older keys stay accepted for `grace_seconds`."""
        self._run("rotate_keys", {"grace_seconds": grace_seconds})

    def retire_keys(self) -> None:
        """End the grace window of every retired key: only the current key is accepted."""
        self._run("retire_keys", {})
