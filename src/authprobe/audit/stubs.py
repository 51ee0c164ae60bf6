"""HTTP-mocking stubs: the call that makes a mocking library answer a URL (`respx.get(url)`,
`responses.add(...)`, a requests-mock `m.get(...)`, `httpretty.register_uri(...)`,
`httpx_mock.add_response(...)`, an aioresponses `m.get(...)`, `httpserver.expect_request(...)`,
`pook.get(...)`), on the library's module, its pytest fixture, or a mocker a `with` or a
decorator hands over (`mockers.py`); the cassette that replays recorded answers (vcrpy's and
betamax's `use_cassette`, `@pytest.mark.vcr("x.yaml")`), at its decorator or `with` line; and
httmock's handlers (`@urlmatch(...)`, `@all_requests`, `HTTMock(handler)`).

A stub is judged like a Playwright route: one whose URL names a literal host other than the
target's is not a finding of its own; a cassette always is, since what it holds is not in the
source. The import or fixture that makes stubs possible is a finding only where it adds
something: a file with a stub finding of that library drops it (the stub names the line and
the URL that replace the target; the import would only need a second allow); a file where the
audit follows no stub of it keeps it, as the only sign that something answers HTTP there (a
stub set up in a form the audit does not read, or on another host).
"""

from __future__ import annotations

import ast
from pathlib import Path

from authprobe.audit.findings import HTTP_MOCK, WHY_HTTP_MOCK, AuditFinding
from authprobe.audit.mockers import FIXTURES, MockerScopes
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
# the names of the libraries as the import and fixture findings spell them
_SHOWN = {"requests_mock": "requests-mock", "pytest_httpx": "pytest-httpx",
          "pytest_httpserver": "pytest-httpserver", "vcr": "vcrpy"}  # fmt: skip
_HANDLERS = frozenset({"urlmatch", "all_requests"})  # httmock's decorators that make a handler
_URLMATCH = ("scheme", "netloc", "path", "method", "query")  # urlmatch's parameters, in order


class StubRules(MockerScopes):
    """Stub calls, cassettes and handlers of HTTP-mocking libraries, and which a file uses."""

    def __init__(self, path: Path, shown: str, tree: ast.Module, suite: Suite) -> None:
        super().__init__(path, shown, tree, suite)
        self.stubbed: set[str] = set()  # libraries with a stub finding in this file
        self.handlers = {  # functions httmock's own decorators scope (judged at the decorator)
            node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and any(_decorator_name(d) in _HANDLERS for d in node.decorator_list)
        }  # fmt: skip

    def found(self, node: ast.AST, library: str, what: str) -> None:
        self.stubbed.add(library)
        self.add(node, HTTP_MOCK, what, WHY_HTTP_MOCK)

    def mock_stub(self, node: ast.Call) -> None:
        """A stub call: a finding at its line when its URL can be the target's."""
        method = call_name(node)
        if method == "use_cassette":
            self.cassette(node)
            return
        if method in ("HTTMock", "with_httmock"):
            self.httmock(node)
            return
        if not isinstance(node.func, ast.Attribute):
            return
        if method == "vcr" and ast.unparse(node.func.value).endswith("mark"):
            self.add(node, HTTP_MOCK, f"`@pytest.mark.vcr` {_replays(node.args[:1])}", WHY_HTTP_MOCK)
            return
        library = self.library_of(node.func.value)
        if library not in _STUBS or method not in _STUBS[library][0]:
            return
        verb, url = self.stub_request(node, method, method in _STUBS[library][1])
        if url is not None and not self.can_match_target(url):
            return  # a literal third-party host: the import finding stays as the sign of the mock
        shown = _SHOWN.get(library, library)
        self.found(node, library, f"`{shown}` stub answers {verb + ' ' if verb else ''}{short(url)}")

    def cassette(self, node: ast.Call) -> None:
        """`vcr.use_cassette(...)`, `my_vcr.use_cassette(...)`, `Betamax(s).use_cassette(...)`,
        as a decorator, a `with` or a call: every answer it holds is replayed, whatever the host."""
        func = node.func
        library = self.library_of(func.value if isinstance(func, ast.Attribute) else func)
        if library in ("vcr", "betamax"):
            named = [k.value for k in node.keywords if k.arg in ("path", "cassette_name")]
            self.found(node, library, f"`{_SHOWN.get(library, library)}` {_replays(node.args[:1] or named)}")

    def enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, params: list[ast.arg]) -> None:
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.url_handler(node.name, decorator)
        super().enter(node, params)

    def url_handler(self, function: str, decorator: ast.expr) -> None:
        """httmock's `@urlmatch(netloc=..., path=...)` or `@all_requests` on a handler."""
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        root = func.value if isinstance(func, ast.Attribute) else func
        if _decorator_name(decorator) not in _HANDLERS or self.library_of(root) != "httmock":
            return
        named: dict[str, ast.expr] = {}
        if isinstance(decorator, ast.Call):
            named = dict(zip(_URLMATCH, decorator.args, strict=False))
            named.update({k.arg: k.value for k in decorator.keywords if k.arg})
        netloc = named.get("netloc")
        if netloc is not None and not self.regex_can_match(f"://{self.text(netloc)}/"):
            return  # a literal third-party host
        scope = ", ".join(f"{key}={ast.unparse(named[key])}" for key in ("method", "netloc", "path")
                          if key in named)  # fmt: skip
        self.found(decorator, "httmock", f"`httmock` handler `{function}` answers {scope or 'every request'}")

    def httmock(self, node: ast.Call) -> None:
        """`HTTMock(handler)` or `@with_httmock(handler)` with a handler no `@urlmatch` scopes."""
        func = node.func
        if self.library_of(func.value if isinstance(func, ast.Attribute) else func) != "httmock":
            return
        for handler in node.args:
            if isinstance(handler, ast.Name) and handler.id in self.handlers:
                continue
            self.found(node, "httmock", f"`httmock` handler `{short(handler)}` can answer every request")
            return

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
    fixtures = {fixture for fixture, library in FIXTURES.items() if library in stubbed}

    def enabling(finding: AuditFinding) -> bool:
        if finding.kind != HTTP_MOCK or "stub answers" in finding.what:
            return False
        return any(
            f"`{name}` imported" in finding.what or f"`{name}` loaded" in finding.what for name in names
        ) or any(f"`{fixture}` fixture" in finding.what for fixture in fixtures)

    return [(finding, end) for finding, end in findings if not enabling(finding)]


def _decorator_name(decorator: ast.expr) -> str:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _replays(cassette: list[ast.expr]) -> str:
    """What a cassette does, naming it when the suite writes its name."""
    named = f"cassette {short(cassette[0])}" if cassette else "the test's cassette"
    return f"replays recorded answers from {named} in place of the target"
