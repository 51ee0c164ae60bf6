"""Network interception: Playwright routes that answer, block or rewrite the target's own
traffic, and HTTP-mocking libraries (imported, loaded as plugins, used as fixtures or marks).

A route is judged by whether its pattern can match the target's origin (a literal third-party
host cannot) and by what its handler does (a pure pass-through `route.continue_()` is fine).
"""

from __future__ import annotations

import ast
import re

from authprobe.audit.credentials import SENTINEL
from authprobe.audit.findings import HTTP_MOCK, ROUTE, WHY_HTTP_MOCK, WHY_ROUTE
from authprobe.audit.syntax import call_name, const_text, short
from authprobe.audit.visitor import PythonVisitor

_HOSTNAME = re.compile(
    r"(?:\*\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}|localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]", re.I
)
# a regex's literal host after the scheme, past an optional group such as `(www\.)?`
_REGEX_HOST = re.compile(r"://(?:\((?:\?:)?[^()]*\)\?)?((?:[A-Za-z0-9-]+\\?\.)+[A-Za-z]{2,})(?:[/:$)]|\\/)")
_MOCK_LIBS = {
    "respx": "respx", "responses": "responses", "requests_mock": "requests-mock",
    "httpretty": "httpretty", "pytest_httpserver": "pytest-httpserver", "vcr": "vcrpy",
    "aioresponses": "aioresponses", "pook": "pook", "betamax": "betamax",
    "pytest_httpx": "pytest-httpx", "httmock": "httmock", "mocket": "mocket",
    "pytest_recording": "pytest-recording",
}  # fmt: skip
MOCK_FIXTURES = frozenset(
    {"requests_mock", "httpserver", "httpserver_ipv4", "make_httpserver", "httpx_mock",
     "respx_mock", "aioresponses", "vcr", "vcr_cassette", "betamax_session",
     "betamax_recorder", "betamax_parametrized_session"}
)  # fmt: skip
_MOCK_MARKS = frozenset({"vcr", "default_cassette"})
ROUTE_CALLS = frozenset({"route", "route_from_har", "route_web_socket"})


class NetworkRules(PythonVisitor):
    """Routes on the target's origin and HTTP mocks."""

    def mock_fixtures(self, params: list[ast.arg]) -> None:
        for arg in params:
            if arg.arg in MOCK_FIXTURES:
                self.add(arg, HTTP_MOCK, f"`{arg.arg}` fixture answers HTTP requests", WHY_HTTP_MOCK)

    def use_fixtures(self, node: ast.Call) -> None:
        for arg in node.args:
            if const_text(arg) in MOCK_FIXTURES:
                self.add(arg, HTTP_MOCK, f"`{const_text(arg)}` fixture answers HTTP requests",
                         WHY_HTTP_MOCK)

    def plugins(self, value: ast.expr) -> None:
        for element in ast.walk(value):
            name = const_text(element)
            if name and name.split(".")[0] in _MOCK_LIBS:
                lib = _MOCK_LIBS[name.split(".")[0]]
                self.add(element, HTTP_MOCK, f"HTTP mocking plugin `{lib}` loaded", WHY_HTTP_MOCK)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.mock_import(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level and node.module:
            self.mock_import(node, node.module)

    def mock_import(self, node: ast.AST, module: str) -> None:
        top = module.split(".")[0]
        if top in _MOCK_LIBS and top not in self.suite.own:
            self.add(node, HTTP_MOCK, f"HTTP mocking library `{_MOCK_LIBS[top]}` imported",
                     WHY_HTTP_MOCK)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _MOCK_MARKS and ast.unparse(node.value).endswith("mark"):
            self.add(node, HTTP_MOCK, f"`@pytest.mark.{node.attr}` replays recorded HTTP",
                     WHY_HTTP_MOCK)
        self.generic_visit(node)

    def route(self, node: ast.Call) -> None:
        """A route on anything that can be the target's origin, unless a pure pass-through."""
        method = call_name(node)
        named = {k.arg: k.value for k in node.keywords}
        if method == "route_from_har":
            pattern = named.get("url")
            if not self.can_match_target(pattern):
                return
            self.add(node, ROUTE, f"HAR replay answers {short(pattern)}", WHY_ROUTE)
            return
        pattern = node.args[0] if node.args else named.get("url")
        handler = node.args[1] if len(node.args) > 1 else named.get("handler")
        if pattern is None or handler is None or not self.can_match_target(pattern):
            return
        shown = short(pattern)
        if method == "route_web_socket":
            self.add(node, ROUTE, f"WebSocket route answers {shown}", WHY_ROUTE)
            return
        effects = self.handler_effects(handler)
        if effects is not None and effects and effects <= {"continue"}:
            return  # watches and lets every request through unchanged
        if effects and "fulfill" in effects:
            what = f"route stub fulfils {shown}"
        elif effects and "abort" in effects:
            what = f"route aborts {shown}"
        elif effects and "rewrite" in effects:
            what = f"route rewrites requests to {shown}"
        else:
            what = f"route on {shown} with a handler the audit cannot follow"
        self.add(node, ROUTE, what, WHY_ROUTE)

    def can_match_target(self, pattern: ast.expr | None) -> bool:
        """False only for a pattern that names a literal host other than the target's."""
        if pattern is None or isinstance(pattern, ast.Lambda):
            return True
        if isinstance(pattern, ast.Name) and pattern.id in self.functions:
            return True  # a predicate
        if isinstance(pattern, ast.Call) and call_name(pattern) == "compile" and pattern.args:
            return self.regex_can_match(self.text(pattern.args[0]))
        if isinstance(pattern, ast.Name):
            value = self.resolve(pattern.id)
            if isinstance(value, ast.Call) and call_name(value) == "compile" and value.args:
                return self.regex_can_match(self.text(value.args[0]))
        return self.glob_can_match(self.text(pattern))

    def glob_can_match(self, text: str) -> bool:
        if "://" in text:
            host = text.split("://", 1)[1].split("/", 1)[0]
        elif text.startswith("**/"):
            rest = text[3:]
            host = rest.split("/", 1)[0] if "/" in rest else ""
        else:
            return True  # a relative path, the base URL at run time, or any glob
        if SENTINEL in host or not _HOSTNAME.fullmatch(re.sub(r":[\d*]+$", "", host)):
            return True
        return self.suite.is_target_host(host)

    def regex_can_match(self, source: str) -> bool:
        match = _REGEX_HOST.search(source)
        if match is None or SENTINEL in source[: match.end()]:
            return True
        return self.suite.is_target_host(match.group(1).replace("\\.", "."))

    def handler_effects(self, handler: ast.AST, depth: int = 0) -> set[str] | None:
        """What the handler does to the route: fulfill, abort, rewrite, continue; None if unseen."""
        body: ast.AST | None = None
        if isinstance(handler, ast.Lambda):
            body = handler.body
        elif isinstance(handler, ast.Name | ast.Attribute):
            body = self.functions.get(handler.id if isinstance(handler, ast.Name) else handler.attr)
        elif isinstance(handler, ast.Call) and call_name(handler) == "partial" and handler.args:
            return self.handler_effects(handler.args[0], depth)
        if body is None:
            return None
        effects: set[str] = set()
        for node in ast.walk(body):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node)
            if name in ("fulfill", "abort"):
                effects.add(name)
            elif name in ("continue_", "fallback"):
                effects.add("rewrite" if node.args or node.keywords else "continue")
            elif (
                isinstance(node.func, ast.Name)
                and name in self.functions
                and self.functions[name] is not body
                and depth < 3
            ):
                effects |= self.handler_effects(node.func, depth + 1) or set()
        return effects
