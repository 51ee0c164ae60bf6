"""Step budgets: how long each kind of auth step may take, judged on the run's samples.

Flows time the steps users wait on (submitting the password, the code, the sign-up, the new
password; opening a protected page) into this process's `STEP_TIMES`. A kind is over budget
when the median of its samples is (or, with at least `P95_MIN_SAMPLES` samples, when their
95th percentile is over `p95_factor` × the budget): a single slow moment on a busy machine is
not a finding, a slow step is. Budgets come from the profile's `[budgets]`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from authprobe.profile import Budgets

StepKind = Literal["sign_in", "mfa", "sign_up", "reset", "page_load"]
STEP_KINDS: tuple[StepKind, ...] = ("sign_in", "mfa", "sign_up", "reset", "page_load")
P95_MIN_SAMPLES = 5


@dataclass
class StepTimes:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def record(self, kind: StepKind, seconds: float) -> None:
        self.samples.setdefault(kind, []).append(seconds)

    def merge(self, other: Mapping[str, list[float]]) -> None:
        for kind, seconds in other.items():
            self.samples.setdefault(kind, []).extend(seconds)

    def count(self) -> int:
        return sum(len(seconds) for seconds in self.samples.values())


STEP_TIMES = StepTimes()


@contextmanager
def timed(kind: StepKind) -> Iterator[None]:
    """Time the block as one sample of `kind` (only when it completes)."""
    started = time.monotonic()
    yield
    STEP_TIMES.record(kind, time.monotonic() - started)


@dataclass(frozen=True)
class Distribution:
    kind: str
    count: int
    median: float
    p95: float | None  # with at least P95_MIN_SAMPLES samples
    slowest: float

    def line(self) -> str:
        p95 = f"p95 {self.p95:.2f} s, " if self.p95 is not None else ""
        return (f"{self.kind}: median {self.median:.2f} s, {p95}slowest {self.slowest:.2f} s "
                f"over {self.count} sample(s)")


def distribution(kind: str, seconds: list[float]) -> Distribution:
    p95 = (statistics.quantiles(seconds, n=20, method="inclusive")[18]
           if len(seconds) >= P95_MIN_SAMPLES else None)
    return Distribution(kind, len(seconds), statistics.median(seconds), p95, max(seconds))


def over_budget(seen: Distribution, budget: float, p95_factor: float) -> str | None:
    """One sentence when `seen` breaks `budget`, else None."""
    if seen.median > budget:
        return (f"{seen.kind} takes {seen.median:.2f} s at the median, over its {budget:.2f} s "
                f"budget ({seen.line()})")
    if seen.p95 is not None and seen.p95 > budget * p95_factor:
        return (f"{seen.kind} takes {seen.p95:.2f} s at the 95th percentile, over {p95_factor:g} × its "
                f"{budget:.2f} s budget ({seen.line()})")
    return None


def budget_problems(samples: Mapping[str, list[float]], budgets: Budgets,
                    kinds: Iterable[str] | None = None) -> list[str]:
    """One sentence per step kind (all sampled ones, or `kinds`) whose samples break its budget."""
    found = (over_budget(distribution(kind, samples[kind]), getattr(budgets, kind), budgets.p95_factor)
             for kind in sorted(samples if kinds is None else kinds) if samples.get(kind))
    return [problem for problem in found if problem]
