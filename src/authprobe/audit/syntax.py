"""Reading literals out of Python syntax trees and out of config-file lines.

Small pure helpers the rule families share: the text of a constant, the names an assignment
binds, the `key = value` pairs of a TOML, JSON or dotenv line, the hosts a URL names.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

_TOML_ASSIGN = re.compile(r"""(?:^|[{,])\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*(["'])(.*?)\2""")
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


def is_env(name: str) -> bool:
    """A dotenv file by its name: `.env`, `.env.*`, `*.env`."""
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def const_text(node: ast.AST | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def string(node: ast.Constant | ast.JoinedStr) -> str:
    """The literal text of a constant or of an f-string's constant parts."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))


def hosts(value: str) -> set[str]:
    """The hosts of the URLs in `value`."""
    found = set()
    for match in re.finditer(r"://(?:[^/\s@]*@)?([^/\s:'\"]+)", value):
        found.add(match.group(1).lower())
    return found


def config_pairs(line: str, path: Path) -> Iterator[tuple[str, str]]:
    """The `key = "value"` pairs of one line of a TOML, JSON or dotenv file."""
    if path.suffix == ".toml":
        for match in _TOML_ASSIGN.finditer(line):
            yield match.group(1).rsplit(".", 1)[-1], match.group(3)
    elif path.suffix == ".json":
        for match in _JSON_PAIR.finditer(line):
            yield _json_unescape(match.group(1)), _json_unescape(match.group(2))
    else:
        pair = _env_pair(line)
        if pair:
            yield pair


def _json_unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, str) else raw


def _env_pair(line: str) -> tuple[str, str] | None:
    if line.lstrip().startswith("#"):
        return None
    match = _ENV_LINE.match(line)
    if match is None:
        return None
    value = match.group(2)
    if value[:1] in ("'", '"'):
        end = value.find(value[0], 1)
        value = value[1:end] if end > 0 else value[1:]
    else:
        value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    return match.group(1), value


def absolute_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a `from ... import` names, relative imports resolved from `module`."""
    if not node.level:
        return node.module or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
    return ".".join([*parts, *([node.module] if node.module else [])])


def is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d) in ("staticmethod", "classmethod") for d in node.decorator_list)


def api_client(node: ast.Call) -> bool:
    """`playwright.request.new_context(...)`: an HTTP client like requests (its headers count
    only when literal), not a browser context."""
    func = node.func
    return isinstance(func, ast.Attribute) and ast.unparse(func.value).endswith("request")


def env_lookup(node: ast.Call) -> bool:
    """`os.environ.get(...)`, `os.getenv(...)`, `environ.get(...)`."""
    func = ast.unparse(node.func)
    return func.endswith(("environ.get", "getenv", "environ.setdefault"))


def target_names(node: ast.expr) -> Iterator[str]:
    """The names an assignment target binds (`x`, `self.x`, `d["x"]`, tuples of them)."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        if isinstance(node.slice.value, str):
            yield node.slice.value
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from target_names(element)


def call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def short(node: ast.AST | None, limit: int = 70) -> str:
    if node is None:
        return "every request"
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"
