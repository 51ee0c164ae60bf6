"""wait_until: returns the first truthy probe result, times out naming what it last saw."""

from __future__ import annotations

import time

import pytest

from authprobe.errors import AuthprobeError
from authprobe.wait import WaitTimeout, wait_until


def test_returns_first_truthy_result() -> None:
    calls = iter([None, 0, "", "ready", "later"])
    assert wait_until(lambda: next(calls), timeout=5, what="readiness", interval=0.001) == "ready"


class Pending:
    """A falsy probe result that still says something, like a backend state."""

    def __init__(self, attempt: int, detail: str = "") -> None:
        self.attempt = attempt
        self.detail = detail

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Pending(attempt={self.attempt}{self.detail})"


def test_timeout_names_what_and_the_last_value_seen() -> None:
    attempts: list[Pending] = []

    def probe() -> Pending:
        attempts.append(Pending(len(attempts) + 1))
        return attempts[-1]

    with pytest.raises(WaitTimeout) as info:
        wait_until(probe, timeout=0.1, what="the session to expire", interval=0.01)
    message = str(info.value)
    assert "the session to expire" in message
    assert "0.1s" in message
    assert len(attempts) > 2
    assert f"Pending(attempt={len(attempts)})" in message


def test_timeout_shows_a_truncated_repr_of_the_last_falsy_value() -> None:
    with pytest.raises(WaitTimeout) as info:
        wait_until(lambda: Pending(1, "x" * 10_000), timeout=0.05, what="backend state")
    message = str(info.value)
    assert "Pending(attempt=1xxx" in message
    assert len(message) < 600


def test_timeout_is_a_timeout_error_and_an_authprobe_error() -> None:
    with pytest.raises(TimeoutError) as info:
        wait_until(lambda: None, timeout=0, what="nothing")
    assert isinstance(info.value, AuthprobeError)


def test_probe_runs_once_more_at_the_deadline() -> None:
    started = time.monotonic()

    def late() -> bool:
        return time.monotonic() - started >= 0.2

    assert wait_until(late, timeout=0.2, what="late truth", interval=10)


def test_custom_pause_is_used_and_bounded_by_time_left() -> None:
    pauses: list[float] = []
    with pytest.raises(WaitTimeout):
        wait_until(lambda: None, timeout=0.05, what="idle", interval=60, pause=pauses.append)
    assert pauses and all(0 < p <= 0.05 for p in pauses)
