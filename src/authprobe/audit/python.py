"""The audit of one Python file: the rule families joined into one visitor, then the file's
`# audit: allow <reason>` comments applied and credential values scrubbed from the messages.

The order of the checks in each visit is the order findings are recorded in, and of two
findings of one kind on one line the first is kept: keep it when adding a check.
"""

from __future__ import annotations

import ast
from pathlib import Path

from authprobe.audit.allows import apply_allows, dedupe_and_scrub, python_comments
from authprobe.audit.authstate import AuthStateRules
from authprobe.audit.credentials import AUTH_HEADERS
from authprobe.audit.findings import AUTH_STATE, UNPARSED, WHY_AUTH_STATE, WHY_UNPARSED, AuditFinding
from authprobe.audit.hardcoded import CredentialRules
from authprobe.audit.network import ROUTE_CALLS
from authprobe.audit.patches import PatchRules
from authprobe.audit.stubs import StubRules, drop_enabling
from authprobe.audit.suite import Suite
from authprobe.audit.syntax import api_client, call_name, const_text, env_lookup, target_names
from authprobe.audit.visitor import params_of

_JS_CALLS = frozenset({"evaluate", "evaluate_handle", "add_init_script"})
_FILL_CALLS = frozenset({"fill", "type", "press_sequentially"})


class PythonAudit(StubRules, PatchRules, AuthStateRules, CredentialRules):
    """Every rule family over one file's syntax tree."""

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params = params_of(node)
        self.mock_fixtures(params)
        self.defaults(node)
        self.enter(node, params)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.enter(node, params_of(node))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for name in target_names(target):
                self.credential(node, name, node.value)
                if name == "pytest_plugins":
                    self.plugins(node.value)
            header = const_text(target.slice) if isinstance(target, ast.Subscript) else ""
            if header.lower() in AUTH_HEADERS:
                self.header(header, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        for name in target_names(node.target):
            self.credential(node, name, node.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            self.credential(value, key.value, value)
            if key.value.lower() in AUTH_HEADERS:
                self.header(key.value, value)
            elif key.value == "storage_state":
                self.storage_state(key, value)
            elif key.value == "extra_http_headers":
                self.browser_headers(key, value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = call_name(node)
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            self.credential(keyword.value, keyword.arg, keyword.value)
            if keyword.arg == "storage_state":
                self.storage_state(keyword.value, keyword.value)
            elif keyword.arg == "extra_http_headers" and not api_client(node):
                self.browser_headers(keyword.value, keyword.value)
            elif keyword.arg == "cookies" and isinstance(keyword.value, ast.Dict):
                self.cookie_values(keyword.value)
            elif (
                keyword.arg == "auth"
                and isinstance(keyword.value, ast.Tuple)
                and len(keyword.value.elts) == 2
            ):
                self.auth_pair(keyword.value)
        if name == "SecretStr" and node.args:
            self.secret_str(node)
        method = isinstance(node.func, ast.Attribute)
        if method and name in ROUTE_CALLS:
            self.route(node)
        elif name == "add_cookies":
            self.add(node, AUTH_STATE, "cookies added to the browser instead of earned by signing in",
                     WHY_AUTH_STATE)
        elif name == "set_extra_http_headers" and node.args:
            self.browser_headers(node, node.args[0])
        elif method and name in _JS_CALLS:
            self.script(node)
        elif isinstance(node.func, ast.Attribute) and name in _FILL_CALLS:
            self.fill(node, node.func.value)
        elif name == "usefixtures":
            self.use_fixtures(node)
        elif env_lookup(node) and len(node.args) > 1:
            self.env_fallback(node)
        self.mock_stub(node)
        patched = self.patch_target(node)
        if patched is not None:
            self.patch(node, *patched)
        self.password_argument(node, name)
        self.generic_visit(node)


def audit_python(path: Path, shown: str, suite: Suite | None = None) -> list[AuditFinding]:
    """The findings of one Python file, `suite` telling what the rest of the suite is."""
    suite = suite or Suite(path.parent, [path])
    text = path.read_text(encoding="utf-8", errors="replace")
    tree = suite.trees.get(path)
    if tree is None:
        try:
            tree = ast.parse(path.read_bytes(), filename=shown)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", 0) or 0
            return [AuditFinding(shown, line, "file does not parse", WHY_UNPARSED, UNPARSED)]
    audit = PythonAudit(path, shown, tree, suite)
    audit.visit(tree)
    findings = drop_enabling(audit.findings, audit.stubbed)
    kept = apply_allows(shown, findings, python_comments(text))
    return dedupe_and_scrub(kept, audit.secrets)
