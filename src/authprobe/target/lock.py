"""Checks that change the whole target run alone among a run's pytest-xdist workers.

A signing-key rotation signs out every user of the target, including the ones other workers'
checks are using at that moment. When the workers share one target (E2E_BASE_URL; a built-in
target is started per worker), each check holds the target shared and such a check holds it
exclusively: fasteners' inter-process reader-writer lock. A turnstile lock in front gives the
writer priority: while it waits no new check starts, so it gets in when the running ones end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import fasteners

WAIT_S = 600.0  # longer than any one check; a stuck worker then fails this check, not the run


class TargetLock:
    def __init__(self, run_id: str, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        base = folder / f"target-{run_id}"
        self.paths = (base.with_suffix(".rw"), base.with_suffix(".turnstile"))
        self._rw = fasteners.InterProcessReaderWriterLock(str(self.paths[0]))
        self._turnstile = fasteners.InterProcessLock(str(self.paths[1]))

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Held by every ordinary check for its whole run."""
        self._acquire(self._turnstile.acquire, "enter")
        self._turnstile.release()
        self._acquire(self._rw.acquire_read_lock, "share")
        try:
            yield
        finally:
            self._rw.release_read_lock()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by a check that changes the target for everyone; no other check runs meanwhile."""
        self._acquire(self._turnstile.acquire, "enter")
        try:
            self._acquire(self._rw.acquire_write_lock, "hold")
        finally:
            self._turnstile.release()
        try:
            yield
        finally:
            self._rw.release_write_lock()

    def remove(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)

    @staticmethod
    def _acquire(acquire: Callable[..., bool], what: str) -> None:
        if not acquire(timeout=WAIT_S):
            raise TimeoutError(f"could not {what} the target within {WAIT_S:g} s: another "
                               "pytest-xdist worker's check held it; see that worker's output")
