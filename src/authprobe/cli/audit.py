"""`authprobe audit [ROOT]`: a suite read for what replaces the target (authprobe.audit does
the work)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("audit", help="audit a suite for what replaces the target: routes on its "
                            "origin, HTTP mocks, patches, planted auth state, written credentials",
                            epilog="examples:\n  authprobe audit\n  authprobe audit tests/e2e "
                            "--format sarif > audit.sarif")
    parser.add_argument("root", nargs="?", default=".", help="the suite's folder")
    parser.add_argument("--format", choices=("text", "sarif"), default="text",
                        help="text (default) or SARIF 2.1.0 JSON on stdout")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.audit import audit_command

    return audit_command(args.root, output=args.format)
