"""What the audited repository says about itself: pytest's configuration and the audit's own.

Discovery reads the folder it is given the way pytest would: its `testpaths` (where the suite
is), `pythonpath` (where its imports resolve from) and `norecursedirs` (folders that are not
the suite, pytest's defaults when unset), from the same file pytest would pick in that folder.

A team can say more in `pyproject.toml`::

    [tool.authprobe.audit]
    include = ["support/profiles"]   # audited whole, beside what discovery finds
    exclude = ["tests", "tools/*"]   # never audited, nor followed into

Patterns are gitignore-like: one without a `/` matches a file or folder name at any depth
(`tests` skips every tests/ folder), one with a `/` matches a path from the root; `*` and `?`
are shell wildcards. This repository uses `exclude` for the tool's own tests, which mock and
patch on purpose, and for its engine under src/.
"""

from __future__ import annotations

import configparser
import shlex
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

from authprobe.errors import ConfigError

# pytest's own default for `norecursedirs` (_pytest/main.py): what pytest never collects from
PYTEST_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


@dataclass(frozen=True)
class AuditConfig:
    """Which files are the suite, as the root's own configuration says."""

    testpaths: tuple[str, ...] = ()  # empty: the whole root
    pythonpath: tuple[str, ...] = ()
    norecursedirs: tuple[str, ...] = PYTEST_NORECURSE
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def excluded(self, relative: PurePosixPath) -> bool:
        """Whether a path (from the root) is excluded by `[tool.authprobe.audit] exclude`."""
        return matches(self.exclude, relative)

    def not_collected(self, relative: PurePosixPath) -> bool:
        """Whether pytest would not recurse into this folder (`norecursedirs`)."""
        return matches(self.norecursedirs, relative, names_only=True)


def matches(patterns: tuple[str, ...], relative: PurePosixPath, *, names_only: bool = False) -> bool:
    """Whether a gitignore-like pattern matches the path or one of the folders above it."""
    parts = relative.parts
    for raw in patterns:
        pattern = raw.strip().strip("/") if not names_only else raw.strip()
        if not pattern:
            continue
        if "/" in pattern and not names_only:
            depth = len(PurePosixPath(pattern).parts)
            if len(parts) >= depth and fnmatchcase("/".join(parts[:depth]), pattern):
                return True
        elif any(fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def read_config(root: Path) -> AuditConfig:
    """pytest's settings and `[tool.authprobe.audit]` from the files in `root`."""
    pytest = _pytest_options(root)
    own = _table(_toml(root / "pyproject.toml"), "tool", "authprobe", "audit")
    return AuditConfig(
        testpaths=_words(pytest.get("testpaths"), "testpaths", "pytest configuration"),
        pythonpath=_words(pytest.get("pythonpath"), "pythonpath", "pytest configuration"),
        norecursedirs=_words(pytest.get("norecursedirs"), "norecursedirs", "pytest configuration")
        or PYTEST_NORECURSE,
        include=_words(own.get("include"), "include", "pyproject.toml [tool.authprobe.audit]"),
        exclude=_words(own.get("exclude"), "exclude", "pyproject.toml [tool.authprobe.audit]"),
    )


def _pytest_options(root: Path) -> dict[str, Any]:
    """The ini options of the file pytest would choose in `root` (first match wins)."""
    for name in ("pytest.toml", ".pytest.toml"):
        if (root / name).is_file():
            return _table(_toml(root / name), "pytest")
    for name in ("pytest.ini", ".pytest.ini"):
        if (root / name).is_file():  # chosen even without a [pytest] section
            return _ini(root / name, "pytest")
    pyproject = _toml(root / "pyproject.toml")
    tool = _table(pyproject, "tool", "pytest")
    if tool:
        ini_options = _table(tool, "ini_options")
        return ini_options or {k: v for k, v in tool.items() if k != "ini_options"}
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        options = _ini(root / name, section)
        if options:
            return options
    return {}


def _toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except tomllib.TOMLDecodeError:
        return {}  # a broken file is the audit's finding, not a reason to stop discovery


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _ini(path: Path, section: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return {}
    return dict(parser[section]) if parser.has_section(section) else {}


def _words(value: Any, key: str, where: str) -> tuple[str, ...]:
    """A list of paths or patterns: a TOML list of strings, or an ini value split like a shell."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(
        f"{where} `{key}` must be a list of paths or patterns, for example {key} = [\"tests\"]."
    )
