"""The temp-directory naming every built-in target and its launchers share.

A scratch directory is `authprobe-target-PID-…` in the temp folder, PID being the process
that owns it, so any later start can remove the ones whose owner died without cleaning up
(src/authprobe/target/child.py keeps a copy of this naming for the launchers: the sandbox
imports nothing of the engine, and the engine nothing of the sandbox).
"""

from __future__ import annotations

import os
import shutil
import tempfile

SCRATCH_PREFIX = "authprobe-target-"


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie does not); unknown counts as alive."""
    if os.name == "nt":
        return True  # no cheap, harmless probe there (os.kill would terminate it)
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                state = stat.read().rpartition(b")")[2].split()[:1]
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return state not in ([b"Z"], [b"X"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours to signal
    return True


def remove_stale_scratch(parent: str | None = None) -> list[str]:
    """Remove this user's `authprobe-target-PID-…` directories whose PID is gone."""
    parent = parent or tempfile.gettempdir()
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed: list[str] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        pid = entry.name[len(SCRATCH_PREFIX):].partition("-")[0]
        if not entry.name.startswith(SCRATCH_PREFIX) or not pid.isdigit():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or (
                    uid is not None and entry.stat(follow_symlinks=False).st_uid != uid):
                continue
        except OSError:
            continue
        if not process_alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def scratch_dir() -> str:
    """A fresh private temp directory owned by this process (stale ones are removed first)."""
    remove_stale_scratch()
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
