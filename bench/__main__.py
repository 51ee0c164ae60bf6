"""Every bench script in one invocation, one after another on this machine, then their
figures together: what the closing notes and the README quote comes from one such run.

Each script runs in its own process (they start their own sandboxes and browsers), never
two at once: on a two-core machine an overlapping run is not a measurement.

    .venv/bin/python -m bench            # about 7 minutes on two cores
    .venv/bin/python -m bench --quick    # fewer pairs and rounds, for a first look
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def steps(quick: bool) -> list[tuple[str, list[str]]]:
    python = [sys.executable, "-m"]
    return [
        ("framework overhead", [*python, "bench.overhead", "--pairs", "3" if quick else "5"]),
        ("mail latency", [*python, "bench.mail_latency"]),
        ("suite wall time", [*python, "bench.suite_time", "--rounds", "1" if quick else "2"]),
        ("browser costs", [*python, "bench.browser_costs", "--rounds", "5" if quick else "10"]),
        ("load", [*python, "authprobe.cli", "load", "--users", "50", "--seconds", "30"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    summary: list[str] = []
    failed: list[str] = []
    for title, command in steps(args.quick):
        print(f"== {title}: {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        print(done.stdout, end="", flush=True)
        if done.returncode != 0:
            failed.append(title)
            print(done.stderr[-2000:], end="", flush=True)
        lines = done.stdout.strip().splitlines()
        figures = [line for line in lines
                   if any(word in line for word in ("goal", "p95", "saves", "floor", "cross-talk"))]
        summary += [f"{title}: {line.strip()}" for line in figures or lines[-1:]]
        summary.append(f"{title}: took {time.monotonic() - started:.0f} s"
                       + ("" if done.returncode == 0 else f", exit {done.returncode}"))
    print("\n== figures of this run")
    print("\n".join(summary))
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
