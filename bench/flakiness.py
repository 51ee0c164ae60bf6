"""How flaky is the clean e2e suite? Run it N times against fresh sandboxes and count failures.

A mutation score is only worth something if the clean suite is green every time: a flaky
test "catches" defects it never looked at. Each run is a whole suite (no -x) on a fresh
sandbox, exactly as `authprobe mutants` runs the clean case. Always exits 0: a measurement.

    .venv/bin/python -m bench.flakiness --runs 10
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from authprobe.selftest.mutants import SuiteRun, run_suite


def _describe(run: SuiteRun) -> str:
    if run.outcome == "passed":
        return "passed"
    if run.outcome == "error":
        return f"ERROR {run.message}"
    return f"{len(run.failed)} failed: " + ", ".join(run.failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    started = time.monotonic()
    failed_tests: Counter[str] = Counter()
    failing_runs = errors = 0
    for number in range(1, args.runs + 1):
        run = run_suite(None, [], stop_first=False)
        print(f"run {number:>2}/{args.runs}  {run.seconds:5.0f} s  {_describe(run)}", flush=True)
        failed_tests.update(run.failed)
        failing_runs += run.outcome == "failed"
        errors += run.outcome == "error"

    print(f"\n{failing_runs}/{args.runs} runs had failing tests, {errors} ended in an error; "
          f"{sum(failed_tests.values())} test failures in all; {time.monotonic() - started:.0f} s wall")
    for test, count in failed_tests.most_common():
        print(f"  {count:>2}x  {test}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
