"""`authprobe triage`: re-run each failed check in fresh browsers and say whether it is
deterministic, flaky (a possible race) or the environment (the re-runs and verdicts:
authprobe/cli/triage_runs.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("triage", help="re-run each failed check in fresh browsers and say "
                            "whether it is deterministic, flaky (a possible race) or the environment",
                            epilog="examples:\n  authprobe triage --junit junit.xml\n  authprobe "
                            "triage e2e/test_sessions.py --runs 5")
    parser.add_argument("tests", nargs="*", help="what to run first (default: e2e/); ignored with --junit")
    parser.add_argument("--junit", type=Path, help="triage the failures of an earlier run's JUnit XML")
    parser.add_argument("--runs", type=int, default=3, help="re-runs per failed check (default 3)")
    parser.add_argument("--browser", default="chromium", help="chromium, firefox or webkit")
    parser.add_argument("--output", default="test-results",
                        help="where the attempts' traces are kept (default test-results)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.triage_runs import triage_command

    return triage_command(list(args.tests), args.runs, args.junit, args.browser, Path(args.output))
