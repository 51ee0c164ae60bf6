"""What the audit knows across the suite's files: its own modules and what each imports, the
signatures of its functions, and the target's hosts.

A patch is judged by what it replaces (`flows.api.requests.post` is `requests.post`), a literal
by the parameter it is passed to, a route by whether its pattern can match the target's
origin; each needs the whole suite, not one file.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from authprobe.audit.syntax import (
    absolute_from,
    config_pairs,
    const_text,
    env_lookup,
    hosts,
    is_static,
    target_names,
)

BASE_NAME = re.compile(r"base_?url|origin|(?:app|api|target|site|frontend)_?url", re.I)
_LOCAL_HOST = re.compile(
    r"localhost|127(?:\.\d+){3}|0\.0\.0\.0|\[::1?\]|host\.docker\.internal"
    r"|.*\.(?:localhost|local|test|internal|lan|example)", re.I,
)
_INI_BASE_URL = re.compile(r"base[_-]url\s*[=\s]\s*['\"]?([^\s'\"]+)", re.I)


@dataclass
class ModuleIndex:
    """One module of the suite: the names it imports (local name -> dotted origin), what it defines."""

    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    defined: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Signature:
    """The positional parameters of a function or class of the suite, by name."""

    params: tuple[str, ...]
    method: bool


def module_names(root: Path, path: Path) -> list[str]:
    """Names the file imports as: from the audit root, and from its import base (pytest's
    rootdir-insertion puts the first folder without `__init__.py` on sys.path)."""
    names = []
    for base in (root, import_base(path)):
        try:
            parts = list(path.relative_to(base).with_suffix("").parts)
        except ValueError:
            continue
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts:
            names.append(".".join(parts))
    return list(dict.fromkeys(names))


def import_bindings(tree: ast.Module, names: list[str], path: Path) -> dict[str, str]:
    """Each name a file's imports bind, and the absolute name it stands for (relative imports
    resolved from the file's first module name in `names`)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                bound[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            origin = absolute_from(node, names[0] if names else "", path.name == "__init__.py")
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{origin}.{alias.name}"
    return bound


def import_base(path: Path) -> Path:
    """The folder pytest puts on sys.path for `path`: the first one up without `__init__.py`."""
    folder = path.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


class Suite:
    """What the audit knows across files: own modules, their imports, signatures, target hosts."""

    def __init__(self, root: Path, files: list[Path]) -> None:
        self.root = root
        self.trees: dict[Path, ast.Module] = {}
        self.errors: dict[Path, int] = {}
        self.own: set[str] = set()
        self.modules: dict[str, ModuleIndex] = {}
        self.signatures: dict[str, list[Signature]] = {}
        self.target_hosts: set[str] = set()
        for path in files:
            if path.suffix == ".py":
                self._index(path)
            else:
                self._hosts_from_config(path)
        for name in ("pytest.ini", "setup.cfg", "tox.ini", "pyproject.toml"):
            config = root / name
            if config.is_file():
                for match in _INI_BASE_URL.finditer(config.read_text(errors="replace")):
                    self.target_hosts |= hosts(match.group(1))

    def _index(self, path: Path) -> None:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError) as exc:
            self.errors[path] = getattr(exc, "lineno", 0) or 0
            return
        self.trees[path] = tree
        names = module_names(self.root, path)
        module = ModuleIndex()
        for name in names:
            self.own.add(name.split(".")[0])
            self.modules[name] = module
        module.imports.update(import_bindings(tree, names, path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in target_names(target):
                        if BASE_NAME.search(name):
                            self.target_hosts |= hosts(const_text(node.value))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.defined.add(node.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = []
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._signature(item, method=not is_static(item))
                        if item.name == "__init__":  # `Class(...)` takes what __init__ does
                            params = self._params_of(item)[1:]
                            self.signatures.setdefault(node.name, []).append(
                                Signature(params, method=False))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        fields.append(item.target.id)
                if fields:  # a dataclass or NamedTuple takes its fields
                    self.signatures.setdefault(node.name, []).append(
                        Signature(tuple(fields), method=False))
            elif isinstance(node, ast.Module):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._signature(item, method=False)
            elif isinstance(node, ast.keyword) and node.arg and BASE_NAME.search(node.arg):
                self.target_hosts |= hosts(const_text(node.value))
            elif isinstance(node, ast.Call) and env_lookup(node):
                name = const_text(node.args[0]) if node.args else ""
                if BASE_NAME.search(name) and len(node.args) > 1:
                    self.target_hosts |= hosts(const_text(node.args[1]))

    def _signature(self, node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> None:
        self.signatures.setdefault(node.name, []).append(Signature(self._params_of(node), method))

    @staticmethod
    def _params_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
        return tuple(a.arg for a in [*node.args.posonlyargs, *node.args.args])

    def _hosts_from_config(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        for line in text.splitlines():
            for key, value in config_pairs(line, path):
                if BASE_NAME.search(key):
                    self.target_hosts |= hosts(value)

    def outside(self, dotted: str, depth: int = 0) -> str | None:
        """What `a.b.c` is outside the suite, following the suite's own imports (so
        `flows.api.requests.post` is `requests.post`); None for the suite's own code."""
        parts = dotted.split(".")
        if not parts[0]:
            return None  # an unresolved relative import: the suite's own
        if parts[0] not in self.own:
            return dotted
        for end in range(len(parts), 0, -1):
            module = self.modules.get(".".join(parts[:end]))
            if module is None:
                continue
            if end < len(parts) and depth < 8:
                origin = module.imports.get(parts[end])
                if origin is not None:
                    return self.outside(".".join([origin, *parts[end + 1 :]]), depth + 1)
            return None
        return None

    def is_target_host(self, host: str) -> bool:
        host = host.lower().split("@")[-1]
        host = re.sub(r":[\d*]+$", "", host)
        if _LOCAL_HOST.fullmatch(host):
            return True
        if host.startswith("*."):
            suffix = host[2:]
            return any(t == suffix or t.endswith("." + suffix) for t in self.target_hosts)
        return host in self.target_hosts
