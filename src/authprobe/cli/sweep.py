"""`authprobe sweep`: throwaway users earlier runs had to leave on the target, removed with the
channels the profile has (authprobe.provisioning.sweep does the work)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("sweep", help="remove throwaway users earlier runs had to leave on the "
                            "target (E2E_BASE_URL), with the channels the profile has",
                            epilog="examples:\n  authprobe sweep --list\n  authprobe sweep")
    parser.add_argument("--list", action="store_true", help="only list the users on record")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.provisioning.sweep import sweep_command

    return sweep_command(list_only=args.list)
