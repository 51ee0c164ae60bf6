"""Step budgets: judged on the median (and the 95th percentile), never on one slow sample."""

from __future__ import annotations

import pytest

from authprobe.oracle.budgets import STEP_TIMES, StepTimes, distribution, over_budget, timed
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import SessionView
from authprobe.profile import Budgets


def test_one_slow_moment_is_not_a_finding() -> None:
    seen = distribution("sign_in", [0.4, 0.5, 0.45, 4.0, 0.5, 0.42])
    assert seen.median < 0.5
    assert over_budget(seen, budget=2.0, p95_factor=3.0) is None


def test_a_slow_median_is_a_finding_naming_time_and_budget() -> None:
    problem = over_budget(distribution("sign_in", [2.6, 2.7, 2.5]), budget=2.0, p95_factor=3.0)
    assert problem is not None and "2.60 s at the median" in problem and "2.00 s budget" in problem


def test_a_slow_tail_is_a_finding_only_with_five_samples() -> None:
    tail = [0.5, 0.5, 0.5, 7.0]
    assert distribution("page_load", tail).p95 is None
    assert over_budget(distribution("page_load", tail), budget=2.0, p95_factor=3.0) is None
    problem = over_budget(distribution("page_load", [*tail, 7.0]), budget=2.0, p95_factor=3.0)
    assert problem is not None and "95th percentile" in problem


def test_runs_merge_their_workers_samples() -> None:
    run = StepTimes()
    run.merge({"sign_in": [0.5]})
    run.merge({"sign_in": [0.7], "mfa": [0.3]})
    assert run.samples == {"sign_in": [0.5, 0.7], "mfa": [0.3]} and run.count() == 3


class _Reader:
    def read(self) -> SessionView:
        return SessionView(source="ui", authenticated=False, email=None, roles=None)


def test_a_journey_step_shows_its_budgeted_times_in_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(STEP_TIMES, "samples", {})
    trip = Journey("budgets", _Reader(), _Reader(), budgets=Budgets(sign_in=1.5))  # type: ignore[arg-type]
    with trip.step("sign in"), timed("sign_in"):
        pass
    assert [kind for kind, _ in trip.records[0].timed] == ["sign_in"]
    assert "sign_in 0.00 s of 1.50 s" in trip.as_html()
