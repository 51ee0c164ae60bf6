"""`authprobe scan PATH…`: files searched for the run's secrets and for secrets detect-secrets
recognises (authprobe.scan does the work)."""

from __future__ import annotations

import argparse

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("scan", help="scan files for the run's secrets (in any encoding, inside "
                            "zips) and for secrets detect-secrets recognises; a folder in git: the "
                            "files git would track",
                            epilog="examples:\n  authprobe scan test-results/\n  authprobe scan . "
                            "--format sarif > scan.sarif")
    parser.add_argument("paths", nargs="+", help="files or folders to scan")
    parser.add_argument("--format", choices=("text", "sarif"), default="text",
                        help="text (default) or SARIF 2.1.0 JSON on stdout")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.scan import scan_command
    from authprobe.settings import load_settings

    return scan_command(list(args.paths), load_settings().secrets(), output=args.format)
