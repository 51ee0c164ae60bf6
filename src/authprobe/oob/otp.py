"""TOTP codes that are never submitted twice for one secret.

Servers with replay protection accept each timecode once per user. When the
current window was already used, the next window is used if the profile says
the server accepts one step of skew; otherwise this waits for the next window.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import pyotp
from pydantic import SecretStr

from authprobe.wait import wait_until


class _Ledger:
    """Last timecode used per secret, shared by every Totp of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, int] = {}
        self.seconds_waited = 0.0

    def last(self, key: str) -> int | None:
        with self._lock:
            return self._last.get(key)

    def record(self, key: str, timecode: int) -> None:
        with self._lock:
            self._last[key] = max(timecode, self._last.get(key, timecode))


LEDGER = _Ledger()


class Totp:
    def __init__(
        self,
        secret: SecretStr,
        *,
        period: int = 30,
        digits: int = 6,
        skew_steps: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._period = period
        self._digits = digits
        self._skew = skew_steps
        self._clock = clock
        self._key = hashlib.sha256(secret.get_secret_value().encode()).hexdigest()

    def _timecode(self) -> int:
        return int(self._clock() // self._period)

    def _code_at(self, timecode: int) -> str:
        otp = pyotp.TOTP(self._secret.get_secret_value(), digits=self._digits, interval=self._period)
        return otp.generate_otp(timecode)

    def next_code(self) -> str:
        """A code for a timecode never used before for this secret, valid for the server now."""
        last = LEDGER.last(self._key)
        current = self._timecode()
        wanted = current if last is None or last < current else last + 1
        if wanted > current + self._skew:
            started = time.monotonic()
            wait_until(
                lambda: self._timecode() >= wanted - self._skew,
                timeout=self._period * (wanted - current - self._skew + 1) + 2,
                what=f"TOTP window {wanted - self._skew} (a fresh timecode)",
                interval=0.2,
            )
            LEDGER.seconds_waited += time.monotonic() - started
        LEDGER.record(self._key, wanted)
        return self._code_at(wanted)

    def last_used_code(self) -> str:
        """The code of the last timecode submitted: only for tests that check replay refusal."""
        last = LEDGER.last(self._key)
        if last is None:
            raise ValueError("no code has been submitted for this secret yet")
        return self._code_at(last)

    def wrong_code(self) -> str:
        """A well-formed code valid for no window the server could accept now."""
        current = self._timecode()
        valid = {self._code_at(current + offset) for offset in range(-3, 4)}
        candidate = int(self._code_at(current))
        while f"{candidate:0{self._digits}d}" in valid:
            candidate = (candidate + 1) % (10**self._digits)
        return f"{candidate:0{self._digits}d}"
