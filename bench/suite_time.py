"""The e2e suite's wall time on one worker and on two (pytest-xdist), side by side, and the
share of it spent waiting outside the browser (TOTP windows, mail and texts, and windows in
which mail or a text must not arrive). The suite has no expect that is meant to run out: a
check waits for what it expects to see, so an expect timeout is a failure, not a wait.

Each run starts its own sandbox(es), as a user's `pytest e2e/ --browser chromium -n N` does.
Goals: `-n 2` at least 1.5× faster than `-n 1`; the default suite on the sandbox ≤ 60 s.

    .venv/bin/python -m bench.suite_time [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAITED = re.compile(r"waited ([\d.]+) s for TOTP windows; ([\d.]+) s for (\d+) mail\(s\); "
                    r"([\d.]+) s making sure no mail came")
TEXTS = re.compile(r"waited ([\d.]+) s for \d+ text message\(s\); ([\d.]+) s making sure no text came")


def run_suite(workers: int) -> tuple[float, float, str]:
    """(wall seconds, seconds waited for TOTP and mail, pytest's last line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    with tempfile.TemporaryDirectory(prefix="authprobe-bench-") as scratch:
        env.update({"E2E_ARTIFACTS_DIR": str(Path(scratch) / "artifacts"),
                    "E2E_STATE_DIR": str(Path(scratch) / "state")})
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", "e2e/", "--browser", "chromium",
                               "-q", "-p", "no:randomly", "-n", str(workers)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    waited = WAITED.search(done.stdout)
    seconds = float(waited.group(1)) + float(waited.group(2)) + float(waited.group(4)) if waited else 0.0
    if texts := TEXTS.search(done.stdout):
        seconds += float(texts.group(1)) + float(texts.group(2))
    if done.returncode != 0:
        raise SystemExit(f"-n {workers} failed:\n{done.stdout[-2000:]}")
    return wall, seconds, lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    one: list[float] = []
    two: list[float] = []
    waits: list[tuple[float, float]] = []
    for round_ in range(args.rounds):
        for workers, into in ((1, one), (2, two)) if round_ % 2 == 0 else ((2, two), (1, one)):
            wall, waited, last = run_suite(workers)
            into.append(wall)
            if workers == 1:
                waits.append((waited, wall))
            print(f"-n {workers}: {wall:.1f} s ({last})", flush=True)
    n1, n2 = statistics.median(one), statistics.median(two)
    waited, wall = waits[-1]
    print(f"suite wall time: -n 1 {n1:.1f} s, -n 2 {n2:.1f} s; speed-up {n1 / n2:.2f}× (goal ≥ 1.5)")
    print(f"-n 2 suite: {n2:.1f} s (goal ≤ 60 s)")
    print(f"waiting outside the browser (TOTP windows, mail, no-mail windows) in the -n 1 run: "
          f"{waited:.1f} s, {waited / wall:.1%} of the suite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
