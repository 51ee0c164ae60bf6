"""Built-in targets as children that neither outlive their launcher nor leave files behind.

A launcher (`start_sandbox`, `authprobe sandbox`, `authprobe serve`) starts `python -m MODULE`
with `--db DIR/app.sqlite3`, DIR being a fresh `authprobe-target-<launcher pid>-…` directory
in the temp folder, and removes DIR once the child is gone, however it ended. The child asks
the kernel (Linux) for SIGTERM when its launcher dies, SIGKILL included, and on its way out
removes the directories of dead launchers, its own launcher's among them. Every target
start also removes the `authprobe-target-<pid>-…` directories whose process is gone
(`authprobe.sandbox.scratch.remove_stale_scratch`, the one copy of that scan), so even a launcher and
target killed together leave nothing past the next start. A `--db` of the caller's comes
after ours and wins: that file is used and never deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import IO

SCRATCH_PREFIX = "authprobe-target-"  # as authprobe.sandbox.scratch.SCRATCH_PREFIX
LAUNCHER_ENV = "AUTHPROBE_LAUNCHER_PID"  # as authprobe.sandbox.launcher.LAUNCHER_ENV
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))
STOP_GRACE_S = 10.0


class TargetProcess(subprocess.Popen[str]):
    """A built-in target's process, with the scratch directory its launcher made for it."""

    scratch: Path | None = None


def with_db(command: list[str], db: Path) -> list[str]:
    """`[python, "-m", MODULE, *args]` with `--db DB` before the args (a later --db wins)."""
    if len(command) < 3 or command[1] != "-m":
        raise ValueError(f"not a `python -m MODULE` command: {command[:3]}")
    return [*command[:3], "--db", str(db), *command[3:]]


def launch(command: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
           stdout: int | None = None, stderr: int | None = None) -> TargetProcess:
    """Start `command` (`[python, "-m", MODULE, *args]`) with a scratch `--db`, as a child.

    Call it from a thread that lives as long as the target (normally the main thread): on
    Linux the target is stopped when the thread that started it ends.
    """
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        command = with_db(command, scratch / "app.sqlite3")
    except ValueError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    child_env = {**(os.environ if env is None else env), LAUNCHER_ENV: str(os.getpid())}
    try:
        process = TargetProcess(command, cwd=cwd, env=child_env, stdout=stdout, stderr=stderr,
                                text=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    process.scratch = scratch
    return process


def release(process: subprocess.Popen[str]) -> None:
    """Remove the scratch directory of a target that has ended (and been waited for)."""
    scratch = getattr(process, "scratch", None)
    if scratch is not None and process.returncode is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def stop(process: subprocess.Popen[str], timeout_s: float = STOP_GRACE_S) -> None:
    """SIGTERM, then SIGKILL after `timeout_s`; then its scratch directory goes."""
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    finally:
        release(process)


def run_in_foreground(command: list[str], *, cwd: Path | None = None,
                      on_line: Callable[[str], None] | None = None,
                      grace_s: float = STOP_GRACE_S) -> int:
    """Run a target until it ends, for a human at a terminal (`authprobe sandbox`, `serve`).

    SIGINT, SIGTERM and SIGHUP are passed on to the target, which then stops; it is killed if
    it has not within `grace_s`. With `on_line` its stdout goes line by line through it,
    otherwise the target writes to ours. The result is the target's exit status (0 after a
    clean stop, 128+N when signal N ended it).
    """
    received: list[int] = []
    started: list[TargetProcess] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        for child in started:
            child.send_signal(signum)  # a no-op once it has been waited for

    previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
    process: TargetProcess | None = None
    try:
        process = launch(command, cwd=cwd,
                         stdout=subprocess.PIPE if on_line is not None else None)
        started.append(process)
        if received:  # it came while the child was being started
            process.send_signal(received[-1])
        pump = None
        if on_line is not None:
            assert process.stdout is not None
            pump = threading.Thread(target=_pump, args=(process.stdout, on_line), daemon=True)
            pump.start()
        status = _wait(process, received, grace_s)
        if pump is not None:
            pump.join(timeout=2)
        return 128 - status if status < 0 else status
    finally:
        if process is not None:
            stop(process)  # only a formality unless this launcher itself failed
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _pump(stream: IO[str], on_line: Callable[[str], None]) -> None:
    for line in stream:
        with contextlib.suppress(OSError, ValueError):  # our stdout is gone: keep draining
            on_line(line)


def _wait(process: subprocess.Popen[str], received: list[int], grace_s: float) -> int:
    deadline: float | None = None
    while True:
        try:
            return process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if received and deadline is None:
                deadline = time.monotonic() + grace_s
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
