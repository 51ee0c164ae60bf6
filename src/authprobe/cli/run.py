"""`authprobe run`: the shipped suite against the configured target, from the user's folder
(its .env is read there)."""

from __future__ import annotations

import argparse
import sys

from authprobe.cli.command import Subparsers, handled_by, run_to_its_end
from authprobe.cli.suite import suite_dir, target_env


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("run", help="run the e2e suite (extra arguments go to pytest)")
    parser.add_argument("--browser", default="chromium")
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
