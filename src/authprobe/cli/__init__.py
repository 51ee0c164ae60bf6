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
import textwrap
from collections.abc import Sequence

from authprobe.cli import (
    audit,
    compare,
    docs,
    doctor,
    init,
    load,
    merge,
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
                                 triage, mutants, merge, compare)  # the order `authprobe --help` lists


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every command's --help: prose paragraphs wrapped, examples (indented lines) as written,
    each option with its default (unless it has none, is a plain switch, or its help names
    the default already)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(textwrap.fill(" ".join(paragraph.split()), width,
                                                initial_indent=indent, subsequent_indent=indent))
        return "\n\n".join(paragraphs)

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authprobe", description=DESCRIPTION,
                                     formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    _explained(sub)
    return parser


def _explained(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Each command's --help in the one format; its one-line help from the command list is its
    description when it wrote no longer one (nested commands such as `profile check` too)."""
    helps = {action.dest: action.help for action in sub._choices_actions}  # noqa: SLF001
    for name, parser in sub.choices.items():
        parser.formatter_class = HelpFormatter
        if parser.description is None and helps.get(name):
            parser.description = f"{str(helps[name])[:1].upper()}{str(helps[name])[1:]}."
        for action in parser._actions:  # noqa: SLF001 - argparse lists subcommands nowhere else
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                _explained(action)


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
