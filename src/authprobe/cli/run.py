"""`authprobe run`: the shipped suite against the configured target, from the user's folder
(its .env is read there)."""

from __future__ import annotations

import argparse
import sys

from authprobe.cli.command import Subparsers, handled_by, run_to_its_end
from authprobe.cli.suite import suite_dir, target_env

EXAMPLES = """\
examples:
  authprobe run                                       the suite against E2E_TARGET / E2E_BASE_URL
  authprobe run --target flask-security -n 2          a shipped profile, two pytest-xdist workers
  authprobe run -m "sessions and severity1" --html report.html   a selection, an HTML report
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "run", help="run the e2e suite (extra arguments go to pytest)", epilog=EXAMPLES,
        description="Run the shipped e2e suite against the configured target, from this folder "
        "(its .env is read here). Arguments run does not know go to pytest and its plugins "
        "(pytest-playwright's --tracing, --video, --device; pytest-xdist's -n; -m, -k, --html).")
    parser.add_argument("--browser", default="chromium",
                        help="chromium, firefox or webkit (as pytest-playwright's --browser)")
    parser.add_argument("--headed", action="store_true", help="visible browser, 300 ms slow-mo")
    parser.add_argument("--target", help="a profile: name of a shipped one or a path to a .toml "
                        "(default: E2E_TARGET)")
    handled_by(parser, run, passes_extra=True)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    command = [sys.executable, "-m", "pytest", str(suite_dir()), "--browser", args.browser,
               "-p", "no:cacheprovider", *extra]
    if args.headed:
        command += ["--headed", "--slowmo", "300"]
    return run_to_its_end(command, env=target_env(args.target))
