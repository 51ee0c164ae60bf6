"""The run's artifact folder: traces, screenshots and HAR files, private to the user running it.

Traces hold typed passwords and live cookies, so the folder is 0700 and its files 0600
(on shared CI runners other users can read 0644 files), and it is scanned before upload.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

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


class ArtifactDir:
    """One folder per run (Playwright adds a sub-folder per test); `seal()` once it has written."""

    def __init__(self, path: Path) -> None:
        self.path = make_private_dir(path)

    def seal(self) -> None:
        """Tighten everything written so far (Playwright writes with the process umask)."""
        self.path.chmod(DIR_MODE)
        for folder, dirs, files in os.walk(self.path):
            for name in dirs:
                Path(folder, name).chmod(DIR_MODE)
            for name in files:
                Path(folder, name).chmod(FILE_MODE)

    def scan(self, secrets: Mapping[str, SecretStr]) -> list[Finding]:
        return scan_after_run(self.path, secrets)

