"""The one polling helper: everything outside the DOM (mail, backend state) waits through here.

Keeping the only between-polls sleep in one place makes waits bounded, named and reported the
same way everywhere, instead of ad-hoc ``time.sleep`` loops that fail with no evidence.
"""

from __future__ import annotations

import reprlib
import time
from collections.abc import Callable
from typing import TypeVar

from authprobe.errors import WaitTimeout

__all__ = ["WaitTimeout", "wait_until"]

T = TypeVar("T")

_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 10


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    pause: Callable[[float], object] = time.sleep,
) -> T:
    """Return the probe's first truthy result; raise `WaitTimeout` with its last one otherwise.

    The probe always runs at least once and once more at the deadline, so a slow probe cannot
    make a met condition look like a timeout. ``pause`` lets a caller block on something
    better than a sleep (IMAP IDLE) for up to ``min(interval, time left)`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        left = deadline - time.monotonic()
        if left <= 0:
            raise WaitTimeout(
                f"Timed out after {timeout:g}s waiting for {what}; last saw {_repr.repr(last)}."
            )
        pause(min(interval, left))
