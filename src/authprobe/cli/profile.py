"""`authprobe profile check`: walk the target's screens once with a throwaway user and count
every locator; the walk is a pytest module (authprobe/cli/profile_check.py) run here in a
pytest process of its own, as an authprobe run."""

from __future__ import annotations

import argparse
import sys

from authprobe.cli.command import Subparsers, handled_by, run_to_its_end
from authprobe.cli.suite import module_file, target_env


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("profile", help="work on a target profile (E2E_TARGET)",
                            epilog="examples:\n  authprobe profile check --target myapp.toml")
    profile_sub = parser.add_subparsers(dest="profile_command", required=True)
    check = profile_sub.add_parser(
        "check", help="walk every screen once with a throwaway user and say, per screen, which "
        "locators match, are not found or are ambiguous (screenshots of failing screens; "
        "extra arguments go to pytest)",
        epilog="examples:\n  authprobe profile check --target myapp.toml\n  authprobe profile check --headed")
    check.add_argument("--browser", default="chromium", help="chromium, firefox or webkit")
    check.add_argument("--headed", action="store_true", help="visible browser, 300 ms slow-mo")
    check.add_argument("--target", help="a profile name or path (default: E2E_TARGET)")
    handled_by(check, run_check, passes_extra=True)


def run_check(args: argparse.Namespace, extra: list[str]) -> int:
    command = [sys.executable, "-m", "pytest", str(module_file("authprobe.cli.profile_check")),
               "--authprobe", "--browser", args.browser, "-q", "--tb=line", "-p", "no:randomly",
               "-p", "no:cacheprovider", *extra]
    if args.headed:
        command += ["--headed", "--slowmo", "300"]
    return run_to_its_end(command, env=target_env(args.target))
