"""Which files are the suite: found from what the files are, never from folder names of ours.

Given a repository (or any folder), the suite is:

- every Python, TOML, JSON and dotenv file under pytest's `testpaths` (the whole folder when
  unset), as pytest would recurse: not into `norecursedirs` (pytest's defaults: hidden
  folders, `build`, `dist`, `venv`, `node_modules`...), nor into a virtualenv or conda
  environment of any name (a `pyvenv.cfg`, a `conda-meta/history`, as pytest tells them), nor
  into a folder of installed packages (one holding `*.dist-info`);
- the conftest.py files pytest loads on the way to the test paths, the root's pyproject.toml
  and dotenv files;
- the repository's own modules the suite imports (or loads through `pytest_plugins`), followed
  from file to file: page objects, flows, helpers wherever they live. A module inside a package
  brings its whole package (page objects are kept together and loaded by name); the packages
  above it bring their `__init__.py`. Imports resolve from the root, its `src/`, pytest's
  `pythonpath` and the folder pytest inserts for each file;
- target profiles and Playwright storage states anywhere in the repository, told by their
  content (a profile's `name` or `extends` beside its sections; `cookies`/`origins` lists);
- `[tool.authprobe.audit] include` audited whole; its `exclude` is never audited nor followed
  (authprobe/audit/config.py).

A file is judged by its real path, so a module reached through a symlink counts where it lives.
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from authprobe.audit.config import AuditConfig, read_config
from authprobe.audit.configfiles import holds_session
from authprobe.audit.suite import import_base
from authprobe.audit.syntax import const_text, is_env, target_names

_AUDITED_SUFFIXES = (".py", ".toml", ".json")
_MAX_SNIFF_BYTES = 10 * 1024 * 1024  # profiles and storage states are kilobytes
# the sections of a target profile (authprobe.profile.TargetProfile's fields; audit stands on L0,
# so it names them here, and tests/test_audit.py keeps the two in step)
PROFILE_SECTIONS = frozenset({
    "launch", "paths", "session_probe", "mail", "policy", "roles", "budgets", "network", "sms",
    "admin_api", "admin_screen", "commands", "self_service", "provision", "hooks", "locators",
    "unsupported", "accepted_risks", "features", "identity", "signup", "sso", "passkeys", "lockout",
})  # fmt: skip


def suite_files(root: Path, config: AuditConfig | None = None) -> list[Path]:
    """The files of the suite under `root` (see the module's docstring), each once."""
    return _Discovery(root, config or read_config(root)).run()


def is_audited_file(name: str) -> bool:
    return name.endswith(_AUDITED_SUFFIXES) or is_env(name)


def is_environment(folder: Path) -> bool:
    """A virtualenv or conda environment (as pytest tells them), or a folder of installed
    packages: not the suite, whatever its name."""
    try:
        if (folder / "pyvenv.cfg").is_file() or (folder / "conda-meta" / "history").is_file():
            return True
        return any(child.endswith(".dist-info") for child in os.listdir(folder))
    except OSError:
        return False


def is_profile(data: dict[str, object]) -> bool:
    """A target profile by its content: a `name` or `extends`, and one of a profile's sections."""
    named = isinstance(data.get("name"), str) or isinstance(data.get("extends"), str)
    return named and bool(PROFILE_SECTIONS & data.keys())


class _Discovery:
    """One discovery: the files found so far, by real path, and the imports still to follow."""

    def __init__(self, root: Path, config: AuditConfig) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.config = config
        self.found: dict[Path, Path] = {}  # real path -> path as shown (under root)
        self.environments: dict[Path, bool] = {}
        self.queue: list[Path] = []  # Python files whose imports are still to follow
        self.bases = [self.real_root, self.real_root / "src"]
        self.bases += [(self.real_root / p).resolve() for p in config.pythonpath]

    def run(self) -> list[Path]:
        """The test paths, what is found by content, the root's own files, the includes; then
        the modules all of these import, until no new one turns up."""
        starts = self._starts()
        for path in self._walk(self.real_root):
            if any(path == start or start in path.parents for start in starts) or self._by_content(path):
                self._add(path)
        for start in starts:
            self._conftests_above(start)
        for name in os.listdir(self.real_root):
            if name == "pyproject.toml" or is_env(name):
                self._add(self.real_root / name)
        for extra in self.config.include:
            for path in self._walk(self.real_root / extra):
                self._add(path)
        while self.queue:
            for module in self._imports(self.queue.pop(0)):
                self._add_module(module)
        return sorted(self.found.values())

    # -- where to look

    def _starts(self) -> list[Path]:
        """The test paths that exist (pytest's globs expanded); the root when none is set."""
        starts: list[Path] = []
        for pattern in self.config.testpaths:
            if any(wildcard in pattern for wildcard in "*?["):
                matched = sorted(self.real_root.glob(pattern))
            else:
                matched = [self.real_root / pattern]
            starts += [p.resolve() for p in matched if p.exists()]
        return starts or [self.real_root]

    def _walk(self, top: Path) -> Iterator[Path]:
        """Audited files under `top` (or `top` itself), as pytest would recurse."""
        top = top.resolve()
        if top.is_file():
            if is_audited_file(top.name):
                yield top
            return
        for folder, dirs, files in os.walk(top):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if self._enter(here / d))
            for name in sorted(files):
                if is_audited_file(name):
                    yield here / name

    def _enter(self, folder: Path) -> bool:
        relative = self._relative(folder)
        return (
            relative is not None
            and not folder.is_symlink()
            and not self.config.not_collected(PurePosixPath(folder.name))
            and not self.config.excluded(relative)
            and not self._environment(folder)
        )

    def _environment(self, folder: Path) -> bool:
        if folder not in self.environments:
            self.environments[folder] = is_environment(folder)
        return self.environments[folder]

    def _relative(self, path: Path) -> PurePosixPath | None:
        try:
            return PurePosixPath(path.resolve().relative_to(self.real_root).as_posix())
        except ValueError:
            return None  # outside the repository

    def _by_content(self, path: Path) -> bool:
        """A target profile or a Playwright storage state, wherever it is kept."""
        try:
            if path.suffix not in (".toml", ".json") or path.stat().st_size > _MAX_SNIFF_BYTES:
                return False
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        try:
            if path.suffix == ".toml":
                return is_profile(tomllib.loads(text))
            data = json.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return False
        return isinstance(data, dict) and holds_session(data)

    def _conftests_above(self, start: Path) -> None:
        """The conftest.py files pytest loads from the root down to a test path."""
        folder = start if start.is_dir() else start.parent
        while True:
            if (folder / "conftest.py").is_file():
                self._add(folder / "conftest.py")
            if folder == self.real_root or self.real_root not in folder.parents:
                return
            folder = folder.parent

    # -- adding files

    def _add(self, path: Path) -> None:
        real = path.resolve()
        relative = self._relative(real)
        if real in self.found or relative is None or self.config.excluded(relative):
            return
        if any(self._environment(folder) for folder in real.parents if self.real_root in folder.parents):
            return  # an import that resolved into a virtualenv kept in the repository
        self.found[real] = self.root / relative
        if real.suffix == ".py":
            self.queue.append(real)

    def _add_module(self, module: Path) -> None:
        """A module the suite imports: its whole package if it is in one, and the packages'
        `__init__.py` above it."""
        package = module.parent if module.name == "__init__.py" or (
            module.parent / "__init__.py").is_file() else None
        if package is None:
            self._add(module)
            return
        for path in self._walk(package):
            self._add(path)
        above = package.parent
        while (above / "__init__.py").is_file() and self.real_root in above.parents:
            self._add(above / "__init__.py")
            above = above.parent

    # -- following imports

    def _imports(self, path: Path) -> Iterator[Path]:
        """The repository's modules `path` imports (or loads as pytest plugins)."""
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            return  # the audit reports the file; nothing to follow
        bases = [*self.bases, import_base(path)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield from self._resolve(bases, alias.name.split("."))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    folder = path.parent
                    for _ in range(node.level - 1):
                        folder = folder.parent
                    froms = [folder]
                else:
                    froms = bases
                parts = node.module.split(".") if node.module else []
                for alias in node.names:
                    found = list(self._resolve(froms, [*parts, alias.name]))
                    yield from found or self._resolve(froms, parts)
            elif isinstance(node, ast.Assign) and "pytest_plugins" in _names(node.targets):
                for element in ast.walk(node.value):
                    if const_text(element):
                        yield from self._resolve(bases, const_text(element).split("."))

    @staticmethod
    def _resolve(bases: Iterable[Path], parts: list[str]) -> Iterator[Path]:
        """The module file a dotted name names, from the first base that has it."""
        if not parts or "*" in parts:
            return
        for base in bases:
            target = base.joinpath(*parts)
            for candidate in (target.with_name(target.name + ".py"), target / "__init__.py"):
                if candidate.is_file():
                    yield candidate
                    return


def _names(targets: list[ast.expr]) -> set[str]:
    return {name for target in targets for name in target_names(target)}
