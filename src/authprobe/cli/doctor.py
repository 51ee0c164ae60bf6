"""`authprobe doctor`: is this configuration ready to run, without running the suite? One line
per check (the checks: authprobe/cli/doctor_checks.py); exit 1 when one fails."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("doctor", help="check the configuration without running the suite: "
                            "settings, target, session endpoint, mail, browser, tokens, pages")
    parser.add_argument("--base-url", help="the target's origin (as pytest's --base-url)")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.doctor_checks import doctor_command

    return doctor_command(args.base_url)
