"""Step recorder: time each step, then cross-check UI and backend after it.

Every step of a journey ends with the oracle's question "do the UI and the
backend agree, and is that what this step should leave?" — so a silent auth
mismatch fails at the step that caused it, not three screens later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.oracle import BackendSession, Expected, SessionReader, SessionView, assert_consistent


@dataclass(frozen=True)
class StepRecord:
    name: str
    seconds: float
    ui: SessionView | None
    backend: SessionView | None
    outcome: str

    def line(self) -> str:
        ui = self.ui.describe() if self.ui else "ui: not read"
        backend = self.backend.describe() if self.backend else "backend: not read"
        return f"{self.outcome:<8} {self.seconds:6.2f}s  {self.name}\n    {ui}\n    {backend}"


@dataclass
class Journey:
    """One user's path through the app, cross-checked after every step."""

    name: str
    ui: SessionReader
    backend: BackendSession
    records: list[StepRecord] = field(default_factory=list)

    @contextmanager
    def step(self, name: str, expect: Expected | None = None) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.records.append(StepRecord(name, time.monotonic() - started, None, None, "error"))
            raise
        acted = time.monotonic() - started
        ui_view = self.ui.read()
        backend_view = self.backend.read()
        try:
            assert_consistent(ui_view, backend_view, expect, step=name)
        except AssertionError:
            self.records.append(StepRecord(name, acted, ui_view, backend_view, "mismatch"))
            raise
        self.records.append(StepRecord(name, acted, ui_view, backend_view, "ok"))

    def check(self, name: str, expect: Expected | None = None) -> None:
        """A cross-check with no action (e.g. after reloading or navigating back)."""
        with self.step(name, expect):
            pass

    def report(self) -> str:
        lines = [f"journey {self.name}: {len(self.records)} step(s)"]
        lines.extend(record.line() for record in self.records)
        return "\n".join(lines)
