"""The `authprobe` command (entry point `authprobe.cli:main`, or `python -m authprobe.cli`).

One module per command, each with its parser and its handler (`register`, authprobe/cli/
command.py); `main` only builds the parser from them and dispatches. Command modules import
the standard library at their top, so `authprobe --help` and `authprobe init` stay fast;
a handler imports the engine when its command runs. Layer L7: it may import anything of
authprobe, and nothing imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from authprobe.cli import (
    audit,
    docs,
    doctor,
    init,
    load,
    mutants,
    profile,
    run,
    sandbox,
    scan,
    serve,
    sweep,
    triage,
)
from authprobe.cli.command import INTERRUPTED, Command, Handler
from authprobe.errors import AuthprobeError, CheckFailed

__all__ = ["build_parser", "main"]

DESCRIPTION = """`authprobe` command line: run the suite, start the sandbox, scan and audit.

Errors the tool raises on purpose print as one sentence (exit 2), never a traceback; Ctrl-C
ends a command with exit 2 as well (`run` and `profile check` with pytest's own code).
"""
COMMANDS: tuple[Command, ...] = (run, init, docs, profile, sandbox, serve, scan, audit, doctor, load, sweep,
                                 triage, mutants)  # the order `authprobe --help` lists them in


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authprobe", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not args.passes_extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler: Handler = args.handler
    try:
        return handler(args, extra)
    except CheckFailed:
        raise  # the target broke an invariant: shown with its evidence, as pytest would
    except AuthprobeError as exc:
        print(f"authprobe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # what a child such as pytest had is its own exit code already
        print("authprobe: interrupted (Ctrl-C).", file=sys.stderr)
        return INTERRUPTED
