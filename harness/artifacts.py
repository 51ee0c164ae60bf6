"""The run's artifact folder: traces, screenshots and HAR files, private to the user running it.

Traces hold typed passwords and live cookies, so the folder is 0700 and its files 0600
(on shared CI runners other users can read 0644 files), and it is scanned before upload.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import SecretStr

from harness.scan import Finding, scan_paths

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
    """One folder per run, one sub-folder per test; call `seal()` after a test wrote into it."""

    def __init__(self, path: Path) -> None:
        self.path = make_private_dir(path)

    def for_test(self, nodeid: str) -> Path:
        """A private folder for one test's trace, screenshots and HAR."""
        return make_private_dir(self.path / _slug(nodeid))

    def file(self, nodeid: str, name: str) -> Path:
        """A path for a new artifact, created empty with mode 0600 so nothing else can read it."""
        path = self.for_test(nodeid) / name
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        path.chmod(FILE_MODE)
        return path

    def seal(self) -> None:
        """Tighten everything written so far (Playwright writes with the process umask)."""
        self.path.chmod(DIR_MODE)
        for folder, dirs, files in os.walk(self.path):
            for name in dirs:
                Path(folder, name).chmod(DIR_MODE)
            for name in files:
                Path(folder, name).chmod(FILE_MODE)

    def prune_passed(self, nodeids: Iterable[str]) -> list[Path]:
        """Remove the folders of the given tests (the caller decides which ones to drop)."""
        removed = []
        for nodeid in nodeids:
            folder = self.path / _slug(nodeid)
            if folder.exists():
                shutil.rmtree(folder)
                removed.append(folder)
        return removed

    def scan(self, secrets: Mapping[str, SecretStr]) -> list[Finding]:
        return scan_after_run(self.path, secrets)


def _slug(nodeid: str) -> str:
    """`e2e/test_x.py::test_y[chromium]` → `e2e-test_x.py-test_y-chromium`: one safe path part."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-.") or "test"
