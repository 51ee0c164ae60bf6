"""The run's artifact folder: traces, screenshots and HAR files, private to the user running it.

Traces hold typed passwords and live cookies, so the folder is 0700 and its files 0600
(on shared CI runners other users can read 0644 files), and it is scanned before upload.

A folder that is full or cannot be written (ENOSPC, a read-only mount, a path under a file)
costs the run its artifacts, never its verdicts: what could not be written whole is removed,
and the run says so once, in one sentence (`ArtifactDir.not_kept`).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import SecretStr

from authprobe.errors import ArtifactsNotKept
from authprobe.scan import Finding, scan_paths

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it 0700 even if it existed or umask widened it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def scan_after_run(path: Path, secrets: Mapping[str, SecretStr]) -> list[Finding]:
    """Findings in the run's artifacts; none when the run kept no artifacts."""
    return scan_paths([path], secrets) if path.exists() else []


def not_kept(path: Path, error: OSError, lost: int = 0) -> ArtifactsNotKept:
    """The one sentence for a folder that would not take the run's artifacts."""
    what = ("is full" if error.errno in (errno.ENOSPC, errno.EDQUOT)
            else f"cannot be written ({error.strerror or type(error).__name__})")
    lost_said = f"the artifacts of {lost} check(s) were not kept" if lost else "no artifact can be kept"
    return ArtifactsNotKept(
        f"the artifacts folder {path} (E2E_ARTIFACTS_DIR) {what}: {lost_said} and the verdicts "
        "stand; free space there or set E2E_ARTIFACTS_DIR to a writable folder")


def keep_only_whole(folder: Path, whole: Iterable[str | Path]) -> list[Path]:
    """Remove every file under `folder` but the `whole` ones (a copy cut off by a full disk),
    then the folders left empty; returns what it removed."""
    keep = {Path(path).resolve() for path in whole}
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for parent, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(parent, name)
            if path.resolve() not in keep:
                path.unlink(missing_ok=True)
                removed.append(path)
        if Path(parent) != folder and not any(Path(parent).iterdir()):
            Path(parent).rmdir()
    return removed


class ArtifactDir:
    """One folder per run (Playwright adds a sub-folder per test); `seal()` once it has written.

    A folder that cannot be made does not stop the run: `problem` holds the first error a
    write met, and `lost` counts the checks whose artifacts were not kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: OSError | None = None
        self.lost = 0
        try:
            make_private_dir(path)
        except OSError as exc:
            self.problem = exc

    def failed_write(self, error: OSError, folder: Path, whole: Iterable[str | Path]) -> None:
        """A check's artifacts could not be written: remove what is cut off, remember why."""
        self.problem = self.problem or error
        self.lost += 1
        # a folder that refuses writes may refuse removals too: then nothing was written there
        with contextlib.suppress(OSError):
            keep_only_whole(folder, whole)

    def not_kept(self) -> ArtifactsNotKept | None:
        return not_kept(self.path, self.problem, self.lost) if self.problem is not None else None

    def seal(self) -> None:
        """Tighten everything written so far (Playwright writes with the process umask)."""
        try:
            self.path.chmod(DIR_MODE)
            for folder, dirs, files in os.walk(self.path):
                for name in dirs:
                    Path(folder, name).chmod(DIR_MODE)
                for name in files:
                    Path(folder, name).chmod(FILE_MODE)
        except OSError as exc:  # a read-only mount: nothing new was written there either
            self.problem = self.problem or exc

    def scan(self, secrets: Mapping[str, SecretStr]) -> list[Finding]:
        return scan_after_run(self.path, secrets)

