"""`authprobe doctor`: is this configuration ready to run, without running the suite? One line
per check (the checks: authprobe/cli/doctor_checks.py); exit 1 when one fails."""

from __future__ import annotations

import argparse
import os

from authprobe.cli.command import Subparsers, handled_by
from authprobe.cli.suite import target_env

EXAMPLES = """\
examples:
  authprobe doctor                                    the settings of this folder's .env
  authprobe doctor --target myapp.toml --base-url https://staging.example.com
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "doctor", help="check the configuration without running the suite: settings, target, "
        "session endpoint, mail, browser, tokens, pages", epilog=EXAMPLES,
        description="Check, in seconds and without running the suite, that this configuration is "
        "ready: the settings, the profile, the target and its session endpoint, the mailbox, the "
        "browser, the tokens and the profile's pages. One line per check; a ✗ line names the "
        "setting to fix. Exit 1 when a check fails.")
    parser.add_argument("--base-url", metavar="URL", help="the target's origin (as pytest's --base-url; "
                        "default: E2E_BASE_URL)")
    parser.add_argument("--target", metavar="PROFILE", help="a profile: name of a shipped one or a "
                        "path to a .toml (default: E2E_TARGET)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.doctor_checks import doctor_command

    if args.target:  # as `run --target`: the checks read E2E_TARGET through the settings
        os.environ["E2E_TARGET"] = target_env(args.target)["E2E_TARGET"]
    return doctor_command(args.base_url)
