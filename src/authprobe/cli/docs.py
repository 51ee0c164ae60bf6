"""`authprobe docs`: the profile reference (every key, every screen's elements and default
wording), generated from the installed model, so users without the repository have it;
`--write FILE` puts it between the markers of FILE (docs/onboarding.md in a clone), `--schema`
prints where the installed JSON Schema is (for a `#:schema` line)."""

from __future__ import annotations

import argparse
from pathlib import Path

from authprobe.cli.command import Subparsers, handled_by


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("docs", help="print the profile reference: every key, its default and "
                            "what it changes; every screen's elements and default wording",
                            epilog="examples:\n  authprobe docs | less\n  authprobe docs --write "
                            "docs/profile.md\n  authprobe docs --schema")
    parser.add_argument("--write", metavar="FILE", type=Path,
                        help="replace the generated reference inside FILE (between its markers)")
    parser.add_argument("--schema", action="store_true",
                        help="print the path of the installed JSON Schema instead")
    handled_by(parser, run)


def run(args: argparse.Namespace, extra: list[str]) -> int:
    from authprobe.errors import ConfigError
    from authprobe.profile.reference import reference, with_reference
    from authprobe.profile.schema import schema_path

    if args.schema:
        print(schema_path())
        return 0
    if args.write is None:
        print(reference(), end="")
        return 0
    try:
        document = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        args.write.write_text(with_reference(document), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the reference to {args.write} ({exc.strerror}); "
                          "choose a writable file.") from None
    print(f"authprobe docs: wrote the reference into {args.write}.")
    return 0
