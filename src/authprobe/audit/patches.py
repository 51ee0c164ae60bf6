"""Patches of code outside the suite: `mock.patch`, `patch.object`, `mocker.patch`,
`monkeypatch.setattr` of the target, its clients, the clock or TOTP.

What is patched is followed through the suite's own imports (patching `flows.api.requests` is
patching `requests`); patching the suite's own helpers is not a finding.
"""

from __future__ import annotations

import ast
import re

from authprobe.audit.credentials import SENTINEL
from authprobe.audit.findings import PATCH, WHY_PATCH, WHY_PYOTP
from authprobe.audit.syntax import const_text
from authprobe.audit.visitor import PythonVisitor

_AUTH_WORDS = re.compile(r"session|auth|login|signin|permission|verify|csrf|otp", re.IGNORECASE)
_HTTP_CLIENTS = frozenset({"requests", "httpx", "aiohttp", "urllib3", "urllib", "http", "playwright"})


class PatchRules(PythonVisitor):
    """Mock patches judged by what they replace."""

    def patch_target(self, node: ast.Call) -> tuple[str, str | None] | None:
        """(what is patched as written, what it is outside the suite or None) for a mock patch.

        `patch(...)`, `mock.patch(...)`, `mocker.patch.object(...)`, `monkeypatch.setattr(...)`;
        an HTTP client's `.patch(url)` is not a mock: only mock-ish owners count.
        """
        func = node.func
        args = node.args
        if isinstance(func, ast.Name):
            origin = self.imports.get(func.id, "")
            if func.id != "patch" or (origin and "mock" not in origin) or func.id in self.defined:
                return None
            style = "patch"
        elif isinstance(func, ast.Attribute):
            owner = ast.unparse(func.value)
            if func.attr in ("setattr", "delattr") and owner != "builtins":
                style = "setattr"
            elif func.attr == "patch" and (
                owner.rsplit(".", 1)[-1] == "mock" or owner.endswith("mocker")
            ):
                style = "patch"
            elif func.attr in ("object", "dict", "multiple") and owner.endswith("patch"):
                style = func.attr
            else:
                return None
        else:
            return None
        if not args:
            return None
        first = args[0]
        dotted = self.text(first)
        dotted = "" if SENTINEL in dotted else dotted
        if style == "patch" or (style == "setattr" and dotted and "." in dotted and len(args) <= 2):
            if not dotted:
                return ast.unparse(first), ast.unparse(first)
            return dotted, self.suite.outside(dotted)
        if dotted and style in ("dict", "multiple"):
            return dotted, self.suite.outside(dotted)
        attribute = const_text(args[1]) if len(args) > 1 and style in ("setattr", "object") else ""
        shown = ast.unparse(first) + (f".{attribute}" if attribute else "")
        return shown, self.expr_outside(first, attribute)

    def expr_outside(self, node: ast.expr, attribute: str) -> str | None:
        """What a patched object is outside the suite: through this file's imports; an object
        the file neither imports nor defines (a fixture, a variable) counts as outside."""
        written = ast.unparse(node) + (f".{attribute}" if attribute else "")
        chain: list[str] = [attribute] if attribute else []
        while isinstance(node, ast.Attribute):
            chain.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return written
        if node.id in ("self", "cls"):
            return None
        if node.id in self.imports:
            return self.suite.outside(".".join([self.imports[node.id], *chain]))
        return None if node.id in self.defined else written

    def patch(self, node: ast.Call, written: str, outside: str | None) -> None:
        if outside is None:
            return
        target = written if outside == written else f"{written}, that is {outside}"
        top = outside.split(".")[0]
        if top == "pyotp":
            self.add(node, PATCH, f"pyotp patched ({target})", WHY_PYOTP)
        elif top in _HTTP_CLIENTS:
            self.add(node, PATCH, f"HTTP client patched ({target})", WHY_PATCH)
        elif _AUTH_WORDS.search(outside):
            self.add(node, PATCH, f"auth code patched ({target})", WHY_PATCH)
        else:
            self.add(node, PATCH, f"code outside the suite patched ({target})", WHY_PATCH)
