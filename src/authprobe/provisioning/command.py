"""Provisioning by command: a profile's argv template run as a child process.

No library runs "an argv template with secrets by environment" for us; this is the thin
layer over `subprocess.run`: argv is a list (never a shell string), placeholders fill
whole values, the password only ever travels in the child's environment, and nothing
the command prints reaches a report unredacted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from authprobe.errors import CommandFailed
from authprobe.profile import PLACEHOLDER, CommandOperation, Commands


def _fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


class CommandRunner:
    """Runs the profile's `[commands]` operations with the target's extra environment."""

    def __init__(self, commands: Commands, extra_env: dict[str, str], root: Path) -> None:
        self._commands = commands
        self._extra_env = extra_env
        self._cwd = (root / commands.cwd) if commands.cwd else root

    def run(self, operation: CommandOperation, what: str, *, email: str, role: str = "",
            password: SecretStr | None = None) -> int:
        """Run one operation; returns its exit status (one of `ok_exit`) or raises CommandFailed."""
        plain = {"email": email, "role": role, "python": sys.executable}
        argv = [_fill(item, plain) for item in operation.argv]
        secret_values = {**plain, "password": password.get_secret_value() if password else ""}
        env = {**os.environ, **self._extra_env,
               **{name: _fill(value, secret_values) for name, value in operation.env.items()}}
        try:
            done = subprocess.run(argv, cwd=self._cwd, env=env, capture_output=True, text=True,
                                  timeout=self._commands.timeout_seconds, check=False)
        except FileNotFoundError:
            raise CommandFailed(f"{what}: the command {argv[0]!r} was not found; check "
                                "[commands] in the profile and the PATH") from None
        except subprocess.TimeoutExpired:
            raise CommandFailed(f"{what}: `{' '.join(argv[:3])} …` ran past "
                                f"{self._commands.timeout_seconds:g} s and was stopped") from None
        if done.returncode not in operation.ok_exit:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            last = said[-1][:200] if said else "no output"
            if password and password.get_secret_value() in last:
                last = "(output withheld: it contains the password)"
            raise CommandFailed(f"{what}: `{' '.join(argv[:3])} …` exited {done.returncode} "
                                f"(expected {operation.ok_exit}): {last}")
        return done.returncode
