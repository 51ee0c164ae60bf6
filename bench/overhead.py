"""Framework overhead: the skeleton journey through authprobe vs a bare Playwright script.

The journey is sign-up → activation mail (IMAP) → sign-in on one sandbox started here, in
the same browser. authprobe runs it as its e2e check (`test_signup_activation_signin_agree_
after_every_step`: page objects, the UI/backend oracle after every step, throwaway-user
bookkeeping, redaction, the end-of-run seal and scan); the bare script (bench/bare_journey.py)
does the same clicks and mail read with Playwright and imap-tools alone. Pairs alternate
which side goes first. Two ratios, each the median over the pairs:

  whole process: wall time of `pytest <check>` vs `python bench/bare_journey.py`
  in-process:    the check's own time (JUnit: setup, call, teardown) after a warm-up check in
                 the same session, vs the bare journey from new context to closed context

    .venv/bin/python -m bench.overhead --pairs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.target import Target
from tests.suite_env import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent
CHECK = "e2e/test_signup.py::test_signup_activation_signin_agree_after_every_step"
# run first in the in-process measurement, so the check's time excludes the session's one-off
# start (browser launch, preflight, IMAP login), as the bare journey excludes the launch
WARM_UP = "e2e/test_login.py::test_wrong_password_and_unknown_email_get_the_same_answer"


def _pytest(target: Target, tmp: Path, *checks: str) -> tuple[float, Path]:
    junit = tmp / "junit.xml"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", *checks, "--browser", "chromium", "-q",
                           "-p", "no:randomly", "--junitxml", str(junit)], cwd=ROOT,
                          env=suite_env_for(target, tmp), capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"the authprobe run failed:\n{done.stdout[-2000:]}")
    return time.monotonic() - started, junit


def authprobe_once(target: Target, tmp: Path) -> tuple[float, float]:
    """(whole process of the check alone, the check's own time after a warm-up check)."""
    whole, _ = _pytest(target, tmp / "alone", CHECK)
    _, junit = _pytest(target, tmp / "warm", WARM_UP, CHECK)
    cases = {c.get("name", "").split("[")[0]: float(c.get("time", "0"))
             for c in ET.parse(junit).getroot().iter("testcase")}
    return whole, cases[CHECK.rsplit("::", 1)[1]]


def bare_once(target: Target, tmp: Path) -> tuple[float, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bare_journey.py")], cwd=ROOT,
                          env=suite_env_for(target, tmp), capture_output=True, text=True, timeout=300)
    whole = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"the bare script failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return whole, float(json.loads(done.stdout.strip().splitlines()[-1])["journey_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    target = started_sandbox()
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="authprobe-bench-") as scratch:
            bare_once(target, Path(scratch))  # warm-up: page cache, the sandbox's first requests
            for pair in range(args.pairs):
                sides = [(ours, authprobe_once), (bare, bare_once)]
                for results, run in sides if pair % 2 == 0 else reversed(sides):
                    folder = Path(tempfile.mkdtemp(dir=scratch))
                    results.append(run(target, folder))
                print(f"pair {pair + 1}: authprobe {ours[-1][0]:.2f} s (check {ours[-1][1]:.2f} s), "
                      f"bare {bare[-1][0]:.2f} s (journey {bare[-1][1]:.2f} s)", flush=True)
    finally:
        target.stop()
    whole = statistics.median(o[0] for o in ours) / statistics.median(b[0] for b in bare)
    inner = statistics.median(o[1] for o in ours) / statistics.median(b[1] for b in bare)
    print(f"whole-process overhead ratio: {whole:.2f} (goal ≤ 1.3)")
    print(f"in-process per-test overhead ratio: {inner:.2f} (goal ≤ 1.1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
