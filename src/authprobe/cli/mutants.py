"""`authprobe mutants`: the mutation self-test, the suite against each seeded defect of the
sandbox (authprobe.selftest.mutants does the work)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("mutants", help="prove the suite catches each seeded defect")
    parser.add_argument("--list", action="store_true", help="print the defect catalogue")
    parser.add_argument("--only", action="append", help="run only this defect (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable result")
    parser.add_argument("--jobs", type=int, default=2, help="defects run in parallel")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.selftest.mutants import mutants_command

    return mutants_command(list_only=args.list, only=args.only, as_json=args.json, jobs=args.jobs)
