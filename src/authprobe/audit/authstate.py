"""Auth state planted instead of earned: cookies added to the browser, a storage state loaded,
Authorization/Cookie headers set on it, tokens written into web storage or `document.cookie`
by script. Each skips the sign-in the suite exists to prove.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from authprobe.audit.credentials import AUTH_HEADERS, SENTINEL
from authprobe.audit.findings import AUTH_STATE, WHY_AUTH_STATE
from authprobe.audit.syntax import const_text
from authprobe.audit.visitor import PythonVisitor

_TOKENISH = re.compile(
    r"token|auth|session|jwt|bearer|access|refresh|\bsid\b|credential|user|login|identity|api.?key",
    re.IGNORECASE,
)
_JS_COOKIE_WRITE = re.compile(r"document\s*\.\s*cookie\s*=(?!=)")
_JS_STORAGE_WRITE = re.compile(
    r"(?:local|session)Storage\s*(?:"
    r"\.\s*setItem\s*\(\s*(?:['\"`](?P<key>[^'\"`]*)['\"`]|(?P<var>[\w.$\[\]]+))"
    r"|\[\s*(?:['\"`](?P<key2>[^'\"`]*)['\"`]|(?P<var2>[\w.$]+))\s*\]\s*=(?!=)"
    r"|\.\s*(?P<key3>(?!setItem\b|getItem\b|removeItem\b|clear\b|key\b|length\b)\w+)\s*=(?!=))"
)


class AuthStateRules(PythonVisitor):
    """Storage states, browser headers and scripts that sign the browser in without the UI."""

    def storage_state(self, at: ast.AST, value: ast.AST) -> None:
        if isinstance(value, ast.Constant) and value.value is None:
            return
        text = self.text(value)
        where = f" from {Path(text).name}" if SENTINEL not in text and text else ""
        self.add(at, AUTH_STATE, f"storage state loaded{where} instead of signing in", WHY_AUTH_STATE)

    def browser_headers(self, at: ast.AST, value: ast.AST) -> None:
        if isinstance(value, ast.Name):
            value = self.resolve(value.id) or value
        if not isinstance(value, ast.Dict):
            return
        for key in value.keys:
            header = const_text(key)
            if header.lower() in AUTH_HEADERS:
                article = "an" if header[:1].lower() in "aeiou" else "a"
                self.add(at, AUTH_STATE, f"browser sends {article} {header} header it did not earn",
                         WHY_AUTH_STATE)
                return

    def script(self, node: ast.Call) -> None:
        """`page.evaluate`/`add_init_script` writing cookies or token-ish web storage."""
        named = {k.arg: k.value for k in node.keywords}
        source = node.args[0] if node.args else named.get("script") or named.get("expression")
        js = self.text(source) if source is not None else ""
        script_path = const_text(named.get("path"))
        if script_path:
            for folder in (self.path.parent, self.suite.root):
                candidate = folder / script_path
                if candidate.is_file():
                    js = candidate.read_text(errors="replace")
                    break
        python_args = " ".join(
            const_text(n) for a in [*node.args[1:], *named.values()] for n in ast.walk(a)
        )
        if _JS_COOKIE_WRITE.search(js):
            self.add(node, AUTH_STATE, "script writes document.cookie instead of signing in",
                     WHY_AUTH_STATE)
            return
        for match in _JS_STORAGE_WRITE.finditer(js):
            key = match.group("key") or match.group("key2") or match.group("key3")
            variable = match.group("var") or match.group("var2")
            if (key and _TOKENISH.search(key)) or (
                variable and (_TOKENISH.search(variable) or _TOKENISH.search(python_args))
            ):
                self.add(node, AUTH_STATE, "script writes a token into web storage instead of "
                         "signing in", WHY_AUTH_STATE)
                return
