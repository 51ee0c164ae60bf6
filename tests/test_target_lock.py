"""The reader-writer lock that lets a whole-target check run alone among xdist workers:
real processes, real file locks."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from authprobe.target.lock import TargetLock


def _hold(kind: str, folder: str, hold_s: float, log: multiprocessing.Queue, start_after: float) -> None:
    time.sleep(start_after)
    lock = TargetLock("t", Path(folder))
    with lock.exclusive() if kind == "exclusive" else lock.shared():
        log.put((kind + " in", time.monotonic()))
        time.sleep(hold_s)
        log.put((kind + " out", time.monotonic()))


def _run(plan: list[tuple[str, float, float]], folder: Path) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    log: multiprocessing.Queue = ctx.Queue()
    procs = [ctx.Process(target=_hold, args=(kind, str(folder), hold, log, after))
             for kind, hold, after in plan]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    events = [log.get(timeout=5) for _ in range(2 * len(plan))]
    return [name for name, _ in sorted(events, key=lambda e: e[1])]


def test_an_exclusive_holder_waits_for_running_checks_and_runs_alone(tmp_path: Path) -> None:
    order = _run([("shared", 1.5, 0.0), ("exclusive", 0.5, 0.5)], tmp_path)
    assert order == ["shared in", "shared out", "exclusive in", "exclusive out"]


def test_a_waiting_exclusive_holder_goes_before_checks_that_start_later(tmp_path: Path) -> None:
    """Writer priority: a check starting while the rotation waits does not overtake it."""
    order = _run([("shared", 1.5, 0.0), ("exclusive", 0.5, 0.5), ("shared", 0.2, 1.0)], tmp_path)
    assert order.index("exclusive out") < order.index("shared in", 1), order


def test_shared_holders_run_side_by_side(tmp_path: Path) -> None:
    order = _run([("shared", 1.0, 0.0), ("shared", 1.0, 0.2)], tmp_path)
    assert order == ["shared in", "shared in", "shared out", "shared out"]
