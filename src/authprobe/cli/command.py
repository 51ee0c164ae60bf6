"""What every command module of the CLI gives `authprobe.cli.main`: a `register` that adds its
parser and a handler that runs it.

A command module imports the standard library (and `authprobe.errors`) at its top and
nothing else: `authprobe --help` imports every one of them, so the engine, Playwright and
pydantic are imported by a handler, when its command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Protocol, TypeAlias

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace, list[str]], int]  # (parsed options, extra arguments) -> exit


class Command(Protocol):
    """A command module: `register` adds its parser, whose `handler` default runs it."""

    def register(self, sub: Subparsers) -> None: ...


def handled_by(parser: argparse.ArgumentParser, handler: Handler, *, passes_extra: bool = False) -> None:
    """Bind the handler; `passes_extra`: unknown arguments go on to what it runs (pytest, a target)
    instead of being an error."""
    parser.set_defaults(handler=handler, passes_extra=passes_extra)
