"""What a scan reports: a finding (a place and a kind, never a value), the paths scanned and
how their files were chosen, and the result of a scan.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

STORAGE_STATE = "Playwright storage state (signed-in browser state)"
IN_FILE_NAME = "secret in file name"

Warn = Callable[[str], None]
Mode = Literal["git", "ignored", "walk", "file"]


@dataclass(frozen=True, order=True)
class Finding:
    """Where something secret-looking sits; `kind` names it, never its value.

    Equal, hashed and ordered by (path, offset, kind); `offset` is the byte offset of the value
    for the run's secrets and of the line for the other findings, so the order is by line. Every
    finding is shown by its line (in an archive member, the member's line); a source reports a
    kind once per line.
    """

    path: str  # as given, joined with the file's path, then `!member` per archive level
    offset: int
    kind: str
    line: int = field(default=0, compare=False)  # 1-based; 0 for a secret in a file name
    root: int = field(default=0, compare=False)  # which of the scanned paths it was found under
    uri: str = field(default="", compare=False)  # the file on disk, relative to that path
    member: str = field(default="", compare=False)  # its path inside the archive(s), if any


@dataclass(frozen=True)
class Root:
    """One scanned path: which files it gave and how they were chosen."""

    given: Path
    base: Path  # the directory the files are relative to (a file's own folder)
    files: tuple[str, ...]
    mode: Mode
    repo_prefix: str | None  # `base` relative to the git work tree ("" at its top), None outside git
    baseline: frozenset[tuple[str, str, str]]  # (repo-relative file, hashed secret, type)

    def describe(self) -> str:
        return {
            "git": f"the files git would track in {self.given}",
            "ignored": f"every file in {self.given} (git ignores it)",
            "walk": f"every file in {self.given}",
            "file": str(self.given),
        }[self.mode]


@dataclass(frozen=True)
class ScanResult:
    """The findings of one scan, the paths scanned, and how many files and members were read."""

    findings: list[Finding]
    roots: list[Root]
    files: int  # files and archive members searched


@dataclass(frozen=True)
class Place:
    """Where bytes being scanned came from: a file of a scanned path, or a member of an archive."""

    shown: str
    root: int
    uri: str
    member: str = ""
    disk: Path | None = None  # the file itself, when it is one on disk (not an archive member)
    repo_key: str | None = None  # its path from the git work tree's top, for the baseline
    baseline: frozenset[tuple[str, str, str]] = frozenset()

    def finding(self, offset: int, kind: str, line: int) -> Finding:
        return Finding(self.shown, offset, kind, line, self.root, self.uri, self.member)


def warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
