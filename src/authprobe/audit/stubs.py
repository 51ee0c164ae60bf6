"""HTTP-mocking stubs: the call that makes a mocking library answer a URL (`respx.get(url)`,
`responses.add(...)`, a requests-mock `m.get(...)`, `httpretty.register_uri(...)`,
`httpx_mock.add_response(...)`, an aioresponses `m.get(...)`, `httpserver.expect_request(...)`,
`pook.get(...)`), found on the library's module, its pytest fixture, or the name a `with` binds
its mocker to.

A stub is judged like a Playwright route: one whose URL names a literal host other than the
target's is not a finding of its own. The import or fixture that makes stubs possible is a
finding only where it adds something: a file with a stub finding of that library drops it (the
stub names the line and the URL that replace the target; the import would only need a second
allow); a file where the audit follows no stub of it keeps it, as the only sign that something
answers HTTP there (a stub set up in a form the audit does not read, or on another host).
"""

from __future__ import annotations

import ast
from pathlib import Path

from authprobe.audit.findings import HTTP_MOCK, WHY_HTTP_MOCK, AuditFinding
from authprobe.audit.network import NetworkRules
from authprobe.audit.suite import Suite
from authprobe.audit.syntax import call_name, const_text, short

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_HTTP_METHODS = frozenset(v.upper() for v in (*_VERBS, "request", "any"))
# per library (its module's name): the stub calls, and which of them take the method first
_STUBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "respx": (frozenset({*_VERBS, "route", "request"}), frozenset({"request"})),
    "responses": (frozenset({*_VERBS, "add", "add_callback", "upsert", "replace"}),
                  frozenset({"add", "add_callback", "upsert", "replace"})),
    "requests_mock": (frozenset({*_VERBS, "request", "register_uri"}),
                      frozenset({"request", "register_uri"})),
    "httpretty": (frozenset({"register_uri"}), frozenset({"register_uri"})),
    "pytest_httpx": (frozenset({"add_response", "add_callback", "add_exception"}), frozenset()),
    "aioresponses": (frozenset({*_VERBS, "add"}), frozenset()),
    "pytest_httpserver": (frozenset({"expect_request", "expect_oneshot_request",
                                     "expect_ordered_request"}), frozenset()),
    "pook": (frozenset({*_VERBS, "mock"}), frozenset()),
}  # fmt: skip
_FIXTURES = {
    "respx_mock": "respx", "requests_mock": "requests_mock", "httpx_mock": "pytest_httpx",
    "aioresponses": "aioresponses", "httpserver": "pytest_httpserver",
    "httpserver_ipv4": "pytest_httpserver",
}  # fmt: skip
# the names of the libraries as the import and fixture findings spell them
_SHOWN = {"requests_mock": "requests-mock", "pytest_httpx": "pytest-httpx",
          "pytest_httpserver": "pytest-httpserver"}  # fmt: skip


class StubRules(NetworkRules):
    """Stub calls of HTTP-mocking libraries, and which libraries a file stubs with."""

    def __init__(self, path: Path, shown: str, tree: ast.Module, suite: Suite) -> None:
        super().__init__(path, shown, tree, suite)
        self.stubbed: set[str] = set()  # libraries with a stub finding in this file
        self.mockers: dict[str, str] = {}  # names `with` binds a mocker to, and its library

    def library_of(self, receiver: ast.expr) -> str | None:
        """The mocking library a call's receiver is: its module, its fixture, or a bound mocker."""
        if not isinstance(receiver, ast.Name):
            return None
        name = receiver.id
        if name in self.mockers:
            return self.mockers[name]
        bound = self.imports.get(name)
        if bound is not None:
            top = bound.split(".")[0]
            return top if top in _STUBS and top not in self.suite.own else None
        return _FIXTURES.get(name)

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        """`with respx.mock() as m`, `with requests_mock.Mocker() as m`, `with aioresponses() as m`."""
        for item in node.items:
            made = item.context_expr
            if isinstance(made, ast.Call) and isinstance(item.optional_vars, ast.Name):
                func = made.func
                root = func.value if isinstance(func, ast.Attribute) else func
                library = self.library_of(root) if isinstance(root, ast.Name) else None
                if library is not None:
                    self.mockers[item.optional_vars.id] = library
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def mock_stub(self, node: ast.Call) -> None:
        """A stub call: a finding at its line when its URL can be the target's."""
        if not isinstance(node.func, ast.Attribute):
            return
        library = self.library_of(node.func.value)
        method = call_name(node)
        if library is None or method not in _STUBS[library][0]:
            return
        verb, url = self.stub_request(node, method, method in _STUBS[library][1])
        if url is not None and not self.can_match_target(url):
            return  # a literal third-party host: the import finding stays as the sign of the mock
        self.stubbed.add(library)
        shown = _SHOWN.get(library, library)
        what = f"`{shown}` stub answers {verb + ' ' if verb else ''}{short(url)}"
        self.add(node, HTTP_MOCK, what, WHY_HTTP_MOCK)

    @staticmethod
    def stub_request(node: ast.Call, method: str, method_first: bool) -> tuple[str, ast.expr | None]:
        """(HTTP method, URL expression) of a stub call; None for a URL it leaves open."""
        named = {k.arg: k.value for k in node.keywords if k.arg}
        args = list(node.args)
        verb = method.upper() if method in _VERBS else ""
        if method_first and args:
            first = args[0]
            text = const_text(first) or (first.attr if isinstance(first, ast.Attribute) else "")
            if text.upper() in _HTTP_METHODS:
                verb, args = text.upper(), args[1:]
        if "method" in named:
            verb = const_text(named["method"]).upper() or verb
        for key in ("url", "uri", "path"):
            if key in named:
                return verb, named[key]
        host = const_text(named.get("host"))
        if host:
            return verb, ast.Constant(f"https://{host}/")
        return verb, args[0] if args else None


def drop_enabling(
    findings: list[tuple[AuditFinding, int]], stubbed: set[str]
) -> list[tuple[AuditFinding, int]]:
    """The findings less the imports, fixtures and plugins of the libraries a stub finding names."""
    names = {_SHOWN.get(library, library) for library in stubbed}
    fixtures = {fixture for fixture, library in _FIXTURES.items() if library in stubbed}

    def enabling(finding: AuditFinding) -> bool:
        if finding.kind != HTTP_MOCK or "stub answers" in finding.what:
            return False
        return any(f"`{name}` imported" in finding.what or f"`{name}` loaded" in finding.what
                   for name in names) or any(f"`{fixture}` fixture" in finding.what for fixture in fixtures)

    return [(finding, end) for finding, end in findings if not enabling(finding)]
