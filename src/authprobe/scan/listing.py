"""Which files a scanned path gives: what git would track in a work tree, every file of a
folder git ignores or of one outside git, or the one file given; and the repository's
detect-secrets baseline with the files it keeps out of the scan.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from authprobe.scan.detector import BASELINE_NAME, load_baseline
from authprobe.scan.findings import Root, Warn, warn_stderr

_GIT_TIMEOUT = 120


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              timeout=_GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git here: the folder is scanned as one outside git


def _work_tree(directory: Path) -> tuple[Path, str] | None:
    """The git work tree holding `directory` and the directory's path from its top."""
    done = _git(directory, "rev-parse", "--show-toplevel", "--show-prefix")
    if done is None or done.returncode != 0:
        return None
    top, prefix = (os.fsdecode(line) for line in done.stdout.split(b"\n")[:2])
    return Path(top), prefix


def _excluded_files(top: Path) -> list[re.Pattern[str]]:
    """The `--exclude-files` regexes the baseline was written with (detect-secrets records
    them under filters_used): files the project keeps out of the scan, such as test corpora."""
    try:
        data = json.loads((top / BASELINE_NAME).read_text(encoding="utf-8"))
        patterns = [pattern for used in data.get("filters_used", [])
                    if used.get("path") == "detect_secrets.filters.regex.should_exclude_file"
                    for pattern in used.get("pattern", [])]
        return [re.compile(pattern) for pattern in patterns]
    except (OSError, ValueError, AttributeError, re.error):
        return []


def _walk(directory: Path) -> tuple[str, ...]:
    found: list[str] = []
    for folder, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        found.extend(os.path.relpath(os.path.join(folder, name), directory) for name in sorted(files))
    return tuple(found)


def list_root(path: Path, warn: Warn = warn_stderr) -> Root:
    """The files a path gives (see the module's docstring), relative to the path's folder."""
    folder = path if path.is_dir() else path.parent
    tree = _work_tree(folder)
    baseline = frozenset() if tree is None else load_baseline(tree[0], warn)
    prefix = None if tree is None else tree[1]
    if not path.is_dir():
        return Root(path, folder, (path.name,), "file", prefix, baseline)
    if tree is None:
        return Root(path, path, _walk(path), "walk", None, baseline)
    ignored = _git(path, "check-ignore", "-q", ".")
    if ignored is not None and ignored.returncode == 0:
        return Root(path, path, _walk(path), "ignored", prefix, baseline)
    listed = _git(path, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    if listed is None or listed.returncode != 0:
        reason = os.fsdecode(listed.stderr).strip().partition("\n")[0] if listed else "no git"
        warn(f"git could not list the files in {path} ({reason}); every file in it is scanned")
        return Root(path, path, _walk(path), "walk", None, frozenset())
    names = dict.fromkeys(os.fsdecode(name) for name in listed.stdout.split(b"\0") if name)
    excluded = _excluded_files(tree[0])  # the baseline's --exclude-files, by repo-relative path
    names = {n: None for n in names if not any(x.search(f"{prefix}{n}") for x in excluded)}
    # deleted but not yet staged, submodules and links to folders: nothing to read as a file
    files = tuple(sorted(n for n in names if os.path.lexists(path / n) and not (path / n).is_dir()))
    return Root(path, path, files, "git", prefix, baseline)
