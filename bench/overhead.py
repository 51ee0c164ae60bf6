"""Framework overhead: the skeleton journey through authprobe vs a bare Playwright script.

The journey is sign-up → activation mail (IMAP) → sign-in on one sandbox started here, in
the same browser. authprobe runs it as its e2e check (`test_signup_activation_signin_agree_
after_every_step`: page objects, the UI/backend oracle after every step, throwaway-user
bookkeeping, redaction, the end-of-run seal and scan); the bare script (bench/bare_journey.py)
does the same clicks and mail read with Playwright and imap-tools alone. Pairs alternate
which side goes first. Ratios, each the median over the pairs:

  whole process: wall time of `pytest <check>` vs `python bench/bare_journey.py`
  in-process:    the check's own time (JUnit: setup, call, teardown) between a warm-up check
                 and a trailing one in the same session (so neither the session's start nor
                 its end is counted), vs the bare journey from new context to closed context
  pytest floor:  the bare journey as one pytest test (bench/pytest_floor.py, with
                 `-p no:authprobe`) vs the script: what pytest and the other installed plugins
                 (pytest-playwright, pytest-html, xdist…) cost before authprobe adds anything

authprobe is measured twice: like for like (E2E_KEEP_ARTIFACTS=never: no trace recorded, as
the bare script records none) and with its default (a trace and screenshot kept on failure,
which means recording a trace of every test). Both sides run with Python's default bytecode
cache (PYTHONDONTWRITEBYTECODE unset), as a user's machine does.

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

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent
CHECK = "e2e/test_signup.py::test_signup_activation_signin_agree_after_every_step"
# run first in the in-process measurement, so the check's time excludes the session's one-off
# start (browser launch, preflight, IMAP login), as the bare journey excludes the launch
WARM_UP = "e2e/test_login.py::test_wrong_password_and_unknown_email_get_the_same_answer"
# run last, so the check's teardown holds only its own (not the browser's and driver's close)
TRAILER = "e2e/test_signup.py::test_signin_before_activation_is_refused"
MODES = {"like for like": "never", "default": "on-failure"}


def _env(target: Target, tmp: Path, **extra: str) -> dict[str, str]:
    env = suite_env_for(target, tmp, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _pytest(env: dict[str, str], tmp: Path, *checks: str) -> tuple[float, Path]:
    junit = tmp / "junit.xml"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", *checks, "-q", "-p", "no:randomly",
                           "--junitxml", str(junit)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"the pytest run of {checks} failed:\n{done.stdout[-2000:]}")
    return time.monotonic() - started, junit


def authprobe_once(target: Target, tmp: Path, keep: str) -> tuple[float, float]:
    """(whole process of the check alone, the check's own time between two other checks)."""
    whole, _ = _pytest(_env(target, tmp / "alone", E2E_KEEP_ARTIFACTS=keep), tmp / "alone",
                       CHECK, "--browser", "chromium")
    _, junit = _pytest(_env(target, tmp / "warm", E2E_KEEP_ARTIFACTS=keep), tmp / "warm",
                       WARM_UP, CHECK, TRAILER, "--browser", "chromium")
    cases = {c.get("name", "").split("[")[0]: float(c.get("time", "0"))
             for c in ET.parse(junit).getroot().iter("testcase")}
    return whole, cases[CHECK.rsplit("::", 1)[1]]


def floor_once(target: Target, tmp: Path) -> float:
    whole, _ = _pytest(_env(target, tmp), tmp, str(ROOT / "bench" / "pytest_floor.py"),
                       "-p", "no:authprobe")
    return whole


def bare_once(target: Target, tmp: Path) -> tuple[float, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bare_journey.py")], cwd=ROOT,
                          env=_env(target, tmp), capture_output=True, text=True, timeout=300)
    whole = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"the bare script failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return whole, float(json.loads(done.stdout.strip().splitlines()[-1])["journey_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    target = started_sandbox()
    ours: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    bare: list[tuple[float, float]] = []
    floor: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="authprobe-bench-") as scratch:
            def fresh() -> Path:
                return Path(tempfile.mkdtemp(dir=scratch))

            bare_once(target, fresh())  # warm-up: page cache, bytecode, the sandbox's first requests
            floor_once(target, fresh())
            authprobe_once(target, fresh(), "never")
            for pair in range(args.pairs):
                for side in ("authprobe", "bare") if pair % 2 == 0 else ("bare", "authprobe"):
                    if side == "authprobe":
                        for mode, keep in MODES.items():
                            ours[mode].append(authprobe_once(target, fresh(), keep))
                    else:
                        bare.append(bare_once(target, fresh()))
                        floor.append(floor_once(target, fresh()))
                mine = ", ".join(f"{m} {ours[m][-1][0]:.2f} s (check {ours[m][-1][1]:.2f} s)"
                                 for m in MODES)
                print(f"pair {pair + 1}: authprobe {mine}; bare {bare[-1][0]:.2f} s "
                      f"(journey {bare[-1][1]:.2f} s); pytest floor {floor[-1]:.2f} s", flush=True)
    finally:
        target.stop()
    bare_whole = statistics.median(b[0] for b in bare)
    bare_inner = statistics.median(b[1] for b in bare)
    print(f"pytest floor (the bare journey as a pytest test): {statistics.median(floor) / bare_whole:.2f}")
    for mode, keep in MODES.items():
        whole = statistics.median(o[0] for o in ours[mode]) / bare_whole
        inner = statistics.median(o[1] for o in ours[mode]) / bare_inner
        print(f"{mode} (E2E_KEEP_ARTIFACTS={keep}): whole-process overhead ratio {whole:.2f} "
              f"(goal ≤ 1.3); in-process per-test overhead ratio {inner:.2f} (goal ≤ 1.1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
