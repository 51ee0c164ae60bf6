"""Static audit of a suite: credentials written into it, and auth answered by stubs.

An end-to-end suite proves something only if it talks to the real backend with
credentials it does not own. A stubbed session endpoint or a patched `verify()`
makes every test green against a broken app; a password in git outlives the run.
A deliberate literal (say, a throwaway user's odd password) is accepted with a
`# audit: allow` comment on its line, so the exception is visible in review.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SUITE_DIRS = ("e2e", "pages", "flows", "targets")
SKIP_DIRS = frozenset({".venv", "venv", "tests", "sandbox", "bench", ".git", "node_modules"})

_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential"}
)
# Names that hold *about* a credential rather than one: labels, patterns, lifetimes...
_DESCRIPTIVE_SUFFIXES = frozenset(
    {
        "label", "field", "input", "selector", "locator", "name", "pattern", "regex", "re",
        "url", "path", "param", "header", "kind", "type", "id", "testid", "length", "len",
        "min", "max", "ttl", "prefix", "env", "var", "placeholder", "text", "message", "msg",
        "button", "title", "hint", "error", "subject", "policy", "endpoint", "route", "link",
    }
)  # fmt: skip
_AUTH_ROUTE = re.compile(r"login|signin|sign-in|session|auth|permission|role|token|mfa|otp|verify")
_AUTH_PATCH = re.compile(r"session|auth|login|signin|permission|verify|csrf|otp", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[^<>]*>")
ALLOW_COMMENT = (
    "audit: allow"  # on the line of a deliberate literal, e.g. a throwaway test password
)
_TOML_ASSIGN = re.compile(r"""(?:^|[{,])\s*["']?([A-Za-z0-9_.-]+)["']?\s*=\s*(["'])(.*?)\2""")

WHY_CREDENTIAL = (
    "a credential in the suite lives on in git history and CI logs; "
    "read it from Settings (E2E_*) as SecretStr"
)
WHY_ROUTE = (
    "a stub answers the auth endpoint instead of the real backend, "
    "so a broken session, login or permission check still passes"
)
WHY_PATCH = "patching auth code in an end-to-end suite tests the patch, not the target"
WHY_PYOTP = (
    "TOTP codes must come from the real clock through harness.otp; "
    "a patched pyotp hides replay and clock-skew bugs"
)


@dataclass(frozen=True, order=True)
class AuditFinding:
    path: str
    line: int
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} — {self.why}"


def is_credential_name(name: str) -> bool:
    """`admin_password`, `apiKey`, `TOKEN` yes; `password_label`, `token_ttl` no.

    A `test_…` name is a check (a profile's `unsupported` or `accepted_risks` key), not a value.
    """
    if name.startswith("test_"):
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("api_key", "apikey")
    parts = [p for p in re.split(r"[^a-z0-9]+", words) if p]
    if not parts or parts[-1] in _DESCRIPTIVE_SUFFIXES:
        return False
    return any(part in _CREDENTIAL_WORDS or part.rstrip("s") in _CREDENTIAL_WORDS for part in parts)


def is_credential_value(value: str) -> bool:
    """Non-empty and not a template placeholder such as `{password}`, `${TOKEN}` or `<token>`."""
    return value != "" and not _PLACEHOLDER.fullmatch(value)


def _literal(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and is_credential_value(node.value)
    )


def _target_names(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _target_names(element)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


class _PythonAudit(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.findings: list[AuditFinding] = []
        self.functions = {
            node.name: node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def add(self, node: ast.AST, what: str, why: str) -> None:
        self.findings.append(AuditFinding(self.path, getattr(node, "lineno", 0), what, why))

    def credential(self, node: ast.AST, name: str, value: ast.AST | None) -> None:
        if _literal(value) and is_credential_name(name):
            self.add(node, f"hard-coded credential in `{name}`", WHY_CREDENTIAL)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for name in _target_names(target):
                self.credential(node, name, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        for name in _target_names(node.target):
            self.credential(node, name, node.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.credential(value, key.value, value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        for keyword in node.keywords:
            if keyword.arg is not None:
                self.credential(keyword.value, keyword.arg, keyword.value)
        if name == "SecretStr" and node.args and _literal(node.args[0]):
            self.add(node, "SecretStr built from a literal", WHY_CREDENTIAL)
        elif name == "route" and isinstance(node.func, ast.Attribute):
            self.route(node)
        elif self.is_patch(node):
            self.patch(node)
        self.generic_visit(node)

    def route(self, node: ast.Call) -> None:
        named = {k.arg: k.value for k in node.keywords}
        pattern = node.args[0] if node.args else named.get("url")
        handler = node.args[1] if len(node.args) > 1 else named.get("handler")
        if pattern is None or handler is None:
            return
        body: ast.AST = handler
        if isinstance(handler, ast.Name | ast.Attribute):
            name = handler.id if isinstance(handler, ast.Name) else handler.attr
            body = self.functions.get(name, handler)
        fulfills = any(
            isinstance(n, ast.Call) and _call_name(n) == "fulfill" for n in ast.walk(body)
        )
        text = f"{ast.unparse(pattern)} {ast.unparse(body)}".lower()
        if fulfills and _AUTH_ROUTE.search(text):
            self.add(node, f"route stub fulfils {ast.unparse(pattern)}", WHY_ROUTE)

    @staticmethod
    def is_patch(node: ast.Call) -> bool:
        """`patch(...)`, `mock.patch(...)`, `mocker.patch.object(...)`, `monkeypatch.setattr(...)`.

        HTTP clients' `.patch(url)` is not a mock: only mock-ish owners count.
        """
        func = node.func
        if isinstance(func, ast.Name):
            return func.id == "patch"
        if not isinstance(func, ast.Attribute):
            return False
        owner = ast.unparse(func.value)
        if func.attr == "setattr":
            return owner != "builtins"
        if func.attr == "patch":
            return owner.rsplit(".", 1)[-1] in ("mock", "mocker")
        return func.attr in ("object", "dict", "multiple") and owner.endswith("patch")

    def patch(self, node: ast.Call) -> None:
        target = " ".join(ast.unparse(arg) for arg in node.args[:2])
        if "pyotp" in target.lower():
            self.add(node, f"pyotp patched ({target})", WHY_PYOTP)
        elif _AUTH_PATCH.search(target):
            self.add(node, f"auth code patched ({target})", WHY_PATCH)


def audit_python(path: Path, shown: str) -> list[AuditFinding]:
    try:
        tree = ast.parse(path.read_bytes(), filename=shown)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", 0) or 0
        return [AuditFinding(shown, line, "file does not parse", "unaudited code may hide a stub")]
    audit = _PythonAudit(shown, tree)
    audit.visit(tree)
    return _unless_allowed(audit.findings, path.read_text(encoding="utf-8", errors="replace"))


def _unless_allowed(findings: list[AuditFinding], text: str) -> list[AuditFinding]:
    """Drop findings on lines that carry the `# audit: allow` comment."""
    lines = text.splitlines()
    return [
        f for f in findings if not (0 < f.line <= len(lines) and ALLOW_COMMENT in lines[f.line - 1])
    ]


def audit_toml(path: Path, shown: str) -> list[AuditFinding]:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return [AuditFinding(shown, 0, "profile does not parse", "unaudited profile")]
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _TOML_ASSIGN.finditer(line):
            key = match.group(1).rsplit(".", 1)[-1]
            if is_credential_value(match.group(3)) and is_credential_name(key):
                findings.append(
                    AuditFinding(shown, number, f"hard-coded credential `{key}`", WHY_CREDENTIAL)
                )
    return _unless_allowed(findings, text)


def suite_files(root: Path) -> Iterator[Path]:
    """Python and TOML files of the suite directories, and every conftest.py under root."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        relative = Path(folder).relative_to(root).parts
        in_suite = bool(relative) and relative[0] in SUITE_DIRS
        for name in sorted(files):
            if name == "conftest.py" or (in_suite and name.endswith((".py", ".toml"))):
                yield Path(folder, name)


def audit_tree(root: Path) -> list[AuditFinding]:
    """Every finding under `root`, by file and line."""
    return audit_files(suite_files(root))


def audit_files(paths: Iterable[Path]) -> list[AuditFinding]:
    findings: list[AuditFinding] = []
    for path in paths:
        shown = str(path)
        if path.suffix == ".toml":
            findings += audit_toml(path, shown)
        else:
            findings += audit_python(path, shown)
    return sorted(findings)


def audit_command(root: str) -> int:
    """`authprobe audit`: one line per finding; 1 on findings, 0 clean, 2 when root is missing."""
    if not Path(root).is_dir():
        print(f"{root} is not a folder; pass the root of the suite to audit.")
        return 2
    files = list(suite_files(Path(root)))
    findings = audit_files(files)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s).", file=sys.stderr)
        return 1
    print(f"audit: 0 findings in {len(files)} files")
    return 0
