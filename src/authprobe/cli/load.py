"""`authprobe load`: N browser contexts signing in and out together for S seconds, against a
loopback target unless told (the driver: authprobe/cli/load_driver.py)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("load", help="N browser contexts signing in and out together for S "
                            "seconds: p50/p95 sign-in time, errors, identity cross-talk")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--allow-host", help="a non-loopback target host you mean to load")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.load_driver import load_command

    return load_command(args.users, args.seconds, args.allow_host)
