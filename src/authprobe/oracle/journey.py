"""Step recorder: time each step, then cross-check UI and backend after it.

Every step of a journey ends with the oracle's question "do the UI and the
backend agree, and is that what this step should leave?" — so a silent auth
mismatch fails at the step that caused it, not three screens later.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from authprobe.oracle.budgets import STEP_TIMES
from authprobe.oracle.calls import EndpointCalls
from authprobe.oracle.session import BackendSession, Expected, SessionReader, SessionView, assert_consistent
from authprobe.profile import Budgets


@dataclass(frozen=True)
class StepRecord:
    name: str
    seconds: float
    ui: SessionView | None
    backend: SessionView | None
    outcome: str
    timed: tuple[tuple[str, float], ...] = ()  # budgeted steps inside it (src/authprobe/oracle/budgets.py)
    finding: str = ""  # a failed judgement's assertion message

    def line(self) -> str:
        if self.finding:
            said = "\n    ".join(self.finding.splitlines())
            return f"{self.outcome:<8} {self.seconds:6.2f}s  {self.name}\n    {said}"
        ui = self.ui.describe() if self.ui else "ui: not read"
        backend = self.backend.describe() if self.backend else "backend: not read"
        return f"{self.outcome:<8} {self.seconds:6.2f}s  {self.name}\n    {ui}\n    {backend}"


class TraceGroups(Protocol):
    """Playwright's `context.tracing`: named groups make the trace viewer read as the journey."""

    def group(self, name: str) -> object: ...  # Playwright's returns a context manager

    def group_end(self) -> None: ...


@dataclass
class Journey:
    """One user's path through the app, cross-checked after every step.

    Each step (its action and the cross-check after it) is a group in the context's trace
    when `trace` is given; `on_record` hears each step as it ends (live progress)."""

    name: str
    ui: SessionReader
    backend: BackendSession
    records: list[StepRecord] = field(default_factory=list)
    trace: TraceGroups | None = None
    on_record: Callable[[Journey, StepRecord], None] | None = None
    budgets: Budgets | None = None  # shown beside each budgeted step in the HTML report
    calls: EndpointCalls | None = None  # told the current step, to name it in its findings
    ended: float = field(default_factory=time.monotonic)  # when the last step (or the start) ended

    @contextmanager
    def step(self, name: str, expect: Expected | None = None) -> Iterator[None]:
        if self.trace is not None:
            self.trace.group(f"{self.name}: {name}")
        if self.calls is not None:
            self.calls.step = f"{self.name}: {name}"
        try:
            before = {kind: len(seconds) for kind, seconds in STEP_TIMES.samples.items()}
            started = time.monotonic()
            try:
                yield
            except BaseException:
                self._record(StepRecord(name, time.monotonic() - started, None, None, "error"))
                raise
            acted = time.monotonic() - started
            timed = tuple((kind, sample) for kind, seconds in STEP_TIMES.samples.items()
                          for sample in seconds[before.get(kind, 0):])
            ui_view = self.ui.read()
            backend_view = self.backend.read()
            try:
                assert_consistent(ui_view, backend_view, expect, step=name)
            except AssertionError:
                self._record(StepRecord(name, acted, ui_view, backend_view, "mismatch", timed))
                raise
            self._record(StepRecord(name, acted, ui_view, backend_view, "ok", timed))
        finally:
            if self.trace is not None:
                self.trace.group_end()

    def _record(self, record: StepRecord) -> None:
        self.records.append(record)
        self.ended = time.monotonic()
        if self.on_record is not None:
            self.on_record(self, record)

    def check(self, name: str, expect: Expected | None = None) -> None:
        """A cross-check with no action (e.g. after reloading or navigating back)."""
        with self.step(name, expect):
            pass

    def judged(self, name: str, finding: str) -> None:
        """The check's own judgement failed after the last step (`assert` on what the steps left):
        it becomes a failed step of its own, so the journey does not end on "ok" steps only."""
        self._record(StepRecord(name, time.monotonic() - self.ended, None, None, "failed", finding=finding))

    def failed(self) -> bool:
        return any(record.outcome != "ok" for record in self.records)

    def report(self) -> str:
        lines = [f"journey {self.name}: {len(self.records)} step(s)"]
        lines.extend(record.line() for record in self.records)
        return "\n".join(lines)

    def _budgeted(self, record: StepRecord) -> str:
        """`<br>sign_in 0.41 s of 2.00 s` for each budgeted step timed inside the record."""
        return "".join(
            f"<br>{kind} {seconds:.2f} s" + (f" of {getattr(self.budgets, kind):.2f} s"
                                             if self.budgets is not None else "")
            for kind, seconds in record.timed)

    def as_html(self) -> str:
        """The journey as a table for the HTML report: a mismatch's row shows both sides."""
        rows = []
        for record in self.records:
            ui = html.escape(record.ui.describe()) if record.ui else "not read"
            backend = html.escape(record.backend.describe()) if record.backend else "not read"
            sides = (f'<td colspan="2" style="white-space:pre-wrap">{html.escape(record.finding)}</td>'
                     if record.finding else f"<td>{ui}</td><td>{backend}</td>")
            style = {"mismatch": "background:#fde2e1", "failed": "background:#fde2e1",
                     "error": "background:#fff3cd"}.get(record.outcome, "")
            rows.append(f'<tr class="step-{record.outcome}" style="{style}">'
                        f"<td>{html.escape(record.name)}</td><td>{record.outcome}</td>"
                        f"<td>{record.seconds:.2f} s{self._budgeted(record)}</td>"
                        f"{sides}</tr>")
        return (f'<table class="journey"><caption>journey {html.escape(self.name)}</caption>'
                "<tr><th>step</th><th>outcome</th><th>time</th><th>what the UI showed</th>"
                "<th>what the backend said</th></tr>" + "".join(rows) + "</table>")
