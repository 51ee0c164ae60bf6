"""Which HTTP-mocking library a name stands for where it is used: the library's module or a
name imported from it, its pytest fixture, a mocker that a `with` or a decorator hands over
(`with requests_mock.Mocker() as m`, `@requests_mock.Mocker()` passing `m` to the test), or
an object made once by the library (`my_vcr = vcr.VCR(...)`, `recorder = Betamax(session)`).

Names are looked up through the visitor's scopes, innermost first, so an `m` that is a dict in
another function, a helper's parameter `m`, or a `vcr` that a function binds to something else
is not taken for the library.
"""

from __future__ import annotations

import ast
from pathlib import Path

from authprobe.audit.network import NetworkRules
from authprobe.audit.suite import Suite
from authprobe.audit.syntax import const_text
from authprobe.audit.visitor import params_of

LIBRARIES = frozenset({"respx", "responses", "requests_mock", "httpretty", "pytest_httpx", "aioresponses",
                       "pytest_httpserver", "pook", "vcr", "betamax", "httmock"})  # fmt: skip
FIXTURES = {
    "respx_mock": "respx", "requests_mock": "requests_mock", "httpx_mock": "pytest_httpx",
    "aioresponses": "aioresponses", "httpserver": "pytest_httpserver",
    "httpserver_ipv4": "pytest_httpserver",
}  # fmt: skip
# the calls that make a mocker object, per library
_MAKERS = {
    "requests_mock": frozenset({"Mocker", "mock"}), "responses": frozenset({"RequestsMock"}),
    "aioresponses": frozenset({"aioresponses"}), "respx": frozenset({"mock", "MockRouter", "Router"}),
    "vcr": frozenset({"VCR"}), "betamax": frozenset({"Betamax"}),
}  # fmt: skip
# decorators that hand their mocker to the test: the last positional parameter, or the one
# named by this keyword (requests-mock `Mocker(kw="m")`, aioresponses `aioresponses(param="m")`)
_HANDS_OVER = {"requests_mock": "kw", "aioresponses": "param"}
_Function = ast.FunctionDef | ast.AsyncFunctionDef


class MockerScopes(NetworkRules):
    """The mocking library behind a name, resolved in the scopes of the file being visited."""

    def __init__(self, path: Path, shown: str, tree: ast.Module, suite: Suite) -> None:
        super().__init__(path, shown, tree, suite)
        self.frames: list[dict[str, str]] = [{}]  # per scope: names bound to a mocker, its library
        self.handed: dict[ast.AST, tuple[str, str]] = {}  # function -> (parameter, library)
        for node in ast.walk(tree):
            if isinstance(node, _Function):
                self.hand_over(node.decorator_list, [node])
            elif isinstance(node, ast.ClassDef):  # requests-mock decorates each test method
                tests = [f for f in node.body if isinstance(f, _Function) and f.name.startswith("test")]
                self.hand_over(node.decorator_list, tests)

    def hand_over(self, decorators: list[ast.expr], functions: list[_Function]) -> None:
        for decorator in decorators:
            library = self.maker(decorator)
            if library not in _HANDS_OVER or not isinstance(decorator, ast.Call):
                continue
            keyword = _HANDS_OVER[library]
            named = const_text(next((k.value for k in decorator.keywords if k.arg == keyword), None))
            for function in functions:
                positional = [*function.args.posonlyargs, *function.args.args]
                name = named or (positional[-1].arg if positional else "")
                if name:
                    self.handed[function] = (name, library)

    def imported(self, name: str) -> str | None:
        """The mocking library `name` is imported from (module or member), not the suite's own."""
        bound = self.imports.get(name)
        top = bound.split(".")[0] if bound else ""
        return top if top in LIBRARIES and top not in self.suite.own else None

    def maker(self, node: ast.expr | None) -> str | None:
        """The library a call makes a mocker of: `requests_mock.Mocker()`, `VCR()`, `Betamax(s)`."""
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            library, made = self.imported(func.value.id), func.attr
        elif isinstance(func, ast.Name):
            library, made = self.imported(func.id), self.imports.get(func.id, "").rsplit(".", 1)[-1]
        else:
            return None
        return library if library and made in _MAKERS.get(library, ()) else None

    def library_of(self, receiver: ast.expr) -> str | None:
        """The mocking library a call's receiver is, in the scope being visited."""
        if isinstance(receiver, ast.Call):
            return self.maker(receiver)
        if not isinstance(receiver, ast.Name):
            return None
        name = receiver.id
        for scope, frame in zip(reversed(self.scopes), reversed(self.frames), strict=True):
            if name in frame:
                return frame[name]
            if name in scope.params:
                return FIXTURES.get(name)
            if name in scope.assigned:
                values = scope.assigned[name]
                return self.maker(values[0]) if len(values) == 1 else None
        return self.imported(name) or FIXTURES.get(name)

    def enter(self, node: _Function | ast.Lambda, params: list[ast.arg]) -> None:
        frame = {}
        if node in self.handed:
            name, library = self.handed[node]
            if name in {a.arg for a in params_of(node)}:
                frame[name] = library
        self.frames.append(frame)
        super().enter(node, params)
        self.frames.pop()

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        """`with respx.mock() as m`, `with requests_mock.Mocker() as m`, `with Betamax(s) as m`."""
        for item in node.items:
            made = item.context_expr
            if isinstance(made, ast.Call) and isinstance(item.optional_vars, ast.Name):
                func = made.func
                root = func.value if isinstance(func, ast.Attribute) else func
                library = self.library_of(root) if isinstance(root, ast.Name) else None
                if library is not None:
                    self.frames[-1][item.optional_vars.id] = library
        self.generic_visit(node)

    visit_AsyncWith = visit_With
