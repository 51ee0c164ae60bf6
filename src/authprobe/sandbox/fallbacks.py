"""Key rotation for the stacks that rotate through settings, Flask and Django alike: a new
SECRET_KEY, the old one in SECRET_KEY_FALLBACKS for a grace window, then removed.

A deployment does this with a configuration change and a restart; the test hooks of those
targets do it in place through `apply`, which writes the keys where the stack reads them.
How tokens are signed and checked stays the stack's own code.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from collections.abc import Callable

Apply = Callable[[str, list[str]], None]  # (SECRET_KEY, SECRET_KEY_FALLBACKS newest first)


class SecretKeyFallbacks:
    def __init__(self, current: str, apply: Apply) -> None:
        self.current = current
        self.accepted_until: dict[str, float] = {}  # fallback key → end of its grace window
        self._apply = apply

    def rotate(self, grace_seconds: float) -> int:
        """A new SECRET_KEY; every older key stays a fallback for at most `grace_seconds`."""
        deadline = time.time() + max(grace_seconds, 0.0)
        kept = {key: min(until, deadline) for key, until in self.accepted_until.items()}
        self.accepted_until = {self.current: deadline, **kept}
        self.current = secrets.token_urlsafe(50)
        return self._write()

    def retire(self) -> int:
        """Every fallback removed: only the current key signs and verifies."""
        self.accepted_until = {}
        return self._write()

    def drop_expired(self) -> None:
        """Before each request: a fallback whose grace has run out is removed."""
        now = time.time()
        if any(until <= now for until in self.accepted_until.values()):
            self.accepted_until = {k: u for k, u in self.accepted_until.items() if u > now}
            self._write()

    def _write(self) -> int:
        newest_first = sorted(self.accepted_until, key=self.accepted_until.__getitem__, reverse=True)
        self._apply(self.current, newest_first)
        return len(newest_first)


HOOK_NETWORKS = ("127.0.0.1/32", "::1/128")  # the test hooks answer only the machine itself


def loopback_only(address: str | None) -> bool:
    """Whether a hook call comes from HOOK_NETWORKS (not another loopback device address)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net) for net in HOOK_NETWORKS)


def grace_of(body: object) -> float:
    """The hook body's `grace_seconds` (a number; anything else is 0: retire at once)."""
    grace = body.get("grace_seconds", 0) if isinstance(body, dict) else 0
    return float(grace) if isinstance(grace, int | float) else 0.0
