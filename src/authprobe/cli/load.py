"""`authprobe load`: N browser contexts signing in and out together for S seconds, against a
loopback target unless told (the driver: authprobe/cli/load_driver.py)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by

EXAMPLES = """\
examples:
  authprobe load                                      10 users for 30 s against the sandbox it starts
  authprobe load --users 50 --seconds 60              more users, longer
  E2E_BASE_URL=https://load.example.com authprobe load --allow-host load.example.com
"""


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "load", help="N browser contexts signing in and out together for S seconds: p50/p95 "
        "sign-in time, errors, identity cross-talk", epilog=EXAMPLES,
        description="Sign N throwaway users in and out together, round after round, for S seconds, "
        "against the configured target (E2E_BASE_URL, else the profile's built-in target, started "
        "here); a user who sees another's identity is cross-talk. Progress goes to stderr as it "
        "runs, the result to stdout; exit 1 on an error or cross-talk. Loopback targets only "
        "unless --allow-host names the host.")
    parser.add_argument("--users", type=int, default=10, help="throwaway users signing in at once (1-200)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the rounds go on (1-900)")
    parser.add_argument("--allow-host", metavar="HOST",
                        help="a non-loopback target host you mean to load")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.cli.load_driver import load_command

    return load_command(args.users, args.seconds, args.allow_host)
