"""Sign-in pacing: every sign-in of a run, serially and across pytest-xdist workers, draws from
one budget per client address (and per account) in a sliding window, kept in a file under the
state folder behind a file lock. The run stays under the rate limit the target states
([policy] signin_rate), and when it is throttled anyway it can say how many sign-ins it made.

Hand-written, and why: `limits` keeps its windows in memory or in a server (Redis, Memcached,
MongoDB), never in a file, so xdist workers cannot share one; pyrate-limiter's SQLite bucket
counts one bucket per table (a budget per address needs a bucket factory on top) and would be a
new dependency for what a JSON file under filelock (already a dependency) does here.

The file outlives the run on purpose: the target's window does not restart with the next run.
Each address counts apart (the run's own, each device's), as a per-address limit does.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

from filelock import FileLock

from authprobe.errors import TargetThrottled

THIS_MACHINE = "this machine's address"
COUNT_SECONDS = 60.0  # with no stated limit, a throttle is reported with the last minute's count
MAX_WAIT_S = 600.0  # longer than any stated window; past it the sign-in goes ahead and may be throttled


@dataclass(frozen=True)
class Budget:
    """A stated limit: sign-ins per address and/or per account within `window_seconds`."""

    per_address: int | None
    per_account: int | None
    window_seconds: float


class SigninPacer:
    """One target's sign-in budget, shared by every process that opens the same file."""

    def __init__(self, path: Path, origin: str, budget: Budget | None, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path, self.origin, self.budget = path, origin, budget
        self._lock = FileLock(str(path) + ".lock")
        self._clock, self._sleep = clock, sleep
        self.waited = 0.0  # seconds this process spent waiting for the budget

    @property
    def window(self) -> float:
        return self.budget.window_seconds if self.budget else COUNT_SECONDS

    @property
    def margin(self) -> float:
        """A sign-in is recorded before its form is submitted and reaches the target later (a
        crowd of ten leaves together 1.5 s after the last one is paced; measured lag up to 2.2 s
        on a loaded 2-core machine): the budget's window is waited out that much longer."""
        return min(3.0, self.window / 10)

    def _address_key(self, address: str) -> str:
        return f"{self.origin} {address}"

    def _account_key(self, account: str) -> str:  # no address book on disk: a digest of the email
        return f"{self.origin} account {hashlib.sha256(account.lower().encode()).hexdigest()[:16]}"

    def _read(self, now: float) -> dict[str, list[float]]:
        try:
            stored = json.loads(self.path.read_text())
        except (OSError, ValueError):
            stored = {}
        keep = max(self.window + self.margin, COUNT_SECONDS)
        return {key: [t for t in times if now - t < keep] for key, times in stored.items()
                if isinstance(times, list)}

    def _limits(self, address: str, account: str | None) -> list[tuple[str, int | None]]:
        per_address = self.budget.per_address if self.budget else None
        per_account = self.budget.per_account if self.budget else None
        limits = [(self._address_key(address), per_address)]
        if account is not None:
            limits.append((self._account_key(account), per_account))
        return limits

    def _wait_needed(self, times: dict[str, list[float]], limits: list[tuple[str, int | None]],
                     count: int, now: float) -> float:
        wait, window = 0.0, self.window + self.margin
        for key, limit in limits:
            if limit is None:
                continue
            recent = sorted(t for t in times.get(key, []) if now - t < window)
            over = len(recent) + min(count, limit) - limit
            if over > 0:  # the oldest `over` sign-ins must leave the window first
                wait = max(wait, recent[over - 1] + window - now)
        return wait

    def before_sign_in(self, address: str, account: str | None = None, count: int = 1) -> float:
        """Wait until `count` sign-ins from `address` (into `account`) fit the budget, then
        record them; returns the seconds waited. With no budget only the record is made."""
        started, slept = self._clock(), 0.0
        while True:
            with self._lock:
                now = self._clock()
                times = self._read(now)
                limits = self._limits(address, account)
                wait = self._wait_needed(times, limits, count, now)
                if wait <= 0 or now - started >= MAX_WAIT_S:
                    for key, _limit in limits:
                        times.setdefault(key, []).extend([now] * count)
                    self.path.write_text(json.dumps(times))
                    self.waited += slept
                    return slept
            nap = min(wait, MAX_WAIT_S - (now - started)) + 0.01
            self._sleep(nap)
            slept += nap

    def recent(self, address: str) -> int:
        """Sign-ins recorded from `address` within the window."""
        now = self._clock()
        with self._lock:
            times = self._read(now).get(self._address_key(address), [])
        return sum(1 for t in times if now - t < self.window)

    def throttled(self, address: str, what: str) -> TargetThrottled:
        """The one-sentence environment verdict for a throttled sign-in from `address`."""
        made = f"{self.recent(address)} sign-ins in {self.window:g} s from {address}"
        if self.budget is None:
            stated = ("the profile states no limit: set [policy] signin_rate (per_address, "
                      "window_seconds) to the target's limit so the run paces itself under it")
        else:
            parts = [f"{n}/{self.window:g} s {scope}" for n, scope in
                     ((self.budget.per_address, "per address"), (self.budget.per_account, "per account"))
                     if n is not None]
            stated = (f"its stated limit is {' and '.join(parts) or 'none'} ([policy] signin_rate): "
                      "lower it to what the target enforces")
        return TargetThrottled(f"The target rate-limited the run ({what}): {made}; {stated}.")


_current: SigninPacer | None = None
_addresses: WeakKeyDictionary[object, str] = WeakKeyDictionary()
_default_address = THIS_MACHINE


def install(pacer: SigninPacer | None, default_address: str = THIS_MACHINE) -> None:
    """Make `pacer` the one every sign-in of this process draws from (None: no pacing)."""
    global _current, _default_address
    _current, _default_address = pacer, default_address


def current() -> SigninPacer | None:
    return _current


def remember_address(context: object, address: str) -> None:
    """A browser context that reaches the target from its own address (a device)."""
    _addresses[context] = address


def address_of(context: object) -> str:
    """The address the target sees for `context`: its device's, else the run's own."""
    return _addresses.get(context, _default_address)
