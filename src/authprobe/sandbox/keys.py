"""The sandbox's signing keys: session cookies and mailed tokens carry an HMAC signature, and
the keys rotate with a grace window, as a deployed app's do when its secret changes.

itsdangerous signs and verifies (it takes a key list, newest first, the way Flask's
SECRET_KEY_FALLBACKS does); this module only keeps which keys are still accepted and until when.

Seeded defects:
- retired_key_accepted_forever: a retired key's grace never ends.
- rotation_drops_sessions_silently: the JSON API stops accepting every retired key at once
  (no grace), while the page tier goes on accepting every key it ever had, so pages keep
  showing a user whom the backend has already signed out.
- tokens_signed_with_retired_key: mailed links are signed with the oldest key still in its
  grace window instead of the current one (Flask-Security-Too 5.9 does this with
  SECRET_KEY_FALLBACKS set), so a link mailed during the grace dies when the grace ends.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, Signer

SALT = "authprobe-sandbox"


@dataclass
class RetiredKey:
    key: bytes
    accepted_until: float


@dataclass
class SigningKeys:
    current: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    retired: list[RetiredKey] = field(default_factory=list)  # newest first
    ever: list[bytes] = field(default_factory=list)  # every key this process has used
    rotations: int = 0

    def __post_init__(self) -> None:
        self.ever.append(self.current)

    def rotate(self, grace_seconds: float, now: float | None = None) -> None:
        """A new current key; every older key stays accepted for at most `grace_seconds` more
        (0: retired at once). A key already retired never gets a longer grace."""
        now = time.time() if now is None else now
        deadline = now + max(grace_seconds, 0.0)
        older = [RetiredKey(self.current, deadline)] + [
            RetiredKey(old.key, min(old.accepted_until, deadline)) for old in self.retired]
        self.retired = older
        self.current = secrets.token_bytes(32)
        self.ever.append(self.current)
        self.rotations += 1

    def retire(self, now: float | None = None) -> None:
        """End every retired key's grace window now: only the current key is accepted."""
        now = time.time() if now is None else now
        for old in self.retired:
            old.accepted_until = min(old.accepted_until, now)

    def accepted(self, *, forever: bool = False, now: float | None = None) -> list[bytes]:
        """The current key, then the retired keys still inside their grace window."""
        now = time.time() if now is None else now
        return [self.current] + [old.key for old in self.retired if forever or old.accepted_until > now]

    def sign(self, value: str, *, oldest_in_grace: bool = False) -> str:
        key = self.accepted()[-1] if oldest_in_grace else self.current
        return Signer(key, salt=SALT).sign(value).decode()

    def unsign(self, signed: str, keys: list[bytes] | None = None) -> str | None:
        """The value under a signature made with one of `keys` (default: the accepted ones),
        or None for a bad or retired signature."""
        try:
            return Signer(keys or self.accepted(), salt=SALT).unsign(signed).decode()
        except BadSignature:
            return None
