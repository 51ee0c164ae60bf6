"""What every command module of the CLI gives `authprobe.cli.main`: a `register` that adds its
parser and a handler that runs it.

A command module imports the standard library (and `authprobe.errors`) at its top and
nothing else: `authprobe --help` imports every one of them, so the engine, Playwright and
pydantic are imported by a handler, when its command runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
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


INTERRUPTED = 2  # pytest's exit code for Ctrl-C, documented for every command


def run_to_its_end(command: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Run a child (pytest, the sandbox) and return its exit code, also after a Ctrl-C.

    Ctrl-C in a terminal reaches the whole foreground process group, so the child has it
    already and is running its own teardown (removing the run's throwaway users).
    `subprocess.call` would kill the child on the parent's KeyboardInterrupt, cutting that
    teardown short, and the command would end with 130 instead of the child's 2. Here the
    parent keeps waiting: a second Ctrl-C reaches the child as its own second Ctrl-C."""
    child = subprocess.Popen(list(command), env=dict(env) if env is not None else os.environ.copy())
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue
