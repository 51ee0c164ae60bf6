"""One exceptions module: every error class lives in authprobe/errors.py, under AuthprobeError,
as its docstring draws it; a check failure is still an assertion failure, shown with its evidence."""

from __future__ import annotations

import ast
import builtins
import inspect
import os
import re
import textwrap
from pathlib import Path

import pytest

import authprobe
from authprobe import errors
from authprobe.errors import AuthprobeError

PACKAGE = Path(authprobe.__file__).parent  # pages/, flows/, e2e/ are linked into it
TREE_LINE = re.compile(r"^(?P<indent>[ │]*)[├└]── (?P<name>\w+)(?: +\((?P<extra>\w+)\))?")
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, BaseException)}


def _error_classes() -> dict[str, type[BaseException]]:
    return {name: value for name, value in vars(errors).items()
            if isinstance(value, type) and issubclass(value, BaseException)
            and value.__module__ == errors.__name__}


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _exception_classes_outside(skip: Path) -> list[str]:
    """`file:line class` for every class whose base looks like an exception, except in `skip`."""
    known = BUILTIN_ERRORS | set(_error_classes())
    found = []
    for folder, _, files in os.walk(PACKAGE, followlinks=True):
        for name in files:
            path = Path(folder) / name
            if not name.endswith(".py") or path.resolve() == skip.resolve():
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                        _base_name(base) in known or _base_name(base).endswith(("Error", "Exception"))
                        for base in node.bases):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    return found


def test_every_exception_class_is_defined_in_authprobe_errors() -> None:
    assert _exception_classes_outside(Path(errors.__file__)) == []


def test_the_scan_would_see_an_exception_class_elsewhere() -> None:
    """The scan above can fail: errors.py itself is full of what it looks for."""
    assert len(_exception_classes_outside(Path("/nonexistent"))) == len(_error_classes())


def test_every_error_is_an_authprobe_error() -> None:
    classes = _error_classes()
    assert len(classes) > 20
    assert [name for name, cls in classes.items() if not issubclass(cls, AuthprobeError)] == []


def test_the_docstring_draws_the_hierarchy_as_it_is() -> None:
    """Each class once, under its first base, with its builtin second base in brackets."""
    drawn: dict[str, tuple[str, str | None]] = {}
    parents = ["Exception"]
    doc = textwrap.dedent((errors.__doc__ or "").split("::", 1)[1])
    for line in doc.splitlines():
        match = TREE_LINE.match(line)
        if match is None:
            continue
        depth = len(match["indent"]) // 4
        del parents[depth:]
        assert match["name"] not in drawn, f"{match['name']} is drawn twice"
        drawn[match["name"]] = (parents[-1], match["extra"])
        parents.append(match["name"])
    actual = {name: (cls.__bases__[0].__name__,
                     next((base.__name__ for base in cls.__bases__[1:]), None))
              for name, cls in _error_classes().items()}
    assert drawn == actual


@pytest.mark.parametrize(("name", "builtin"), [
    ("AuthMismatch", AssertionError), ("OperationFailed", AssertionError),
    ("EgressViolation", AssertionError), ("WaitTimeout", TimeoutError),
    ("DeadlineExceeded", TimeoutError), ("UnknownDefectError", ValueError),
    ("UnknownShapeError", ValueError), ("UnknownMisconfigurationError", ValueError),
    ("SandboxConfigError", ValueError),
])
def test_builtin_bases_that_callers_catch_are_kept(name: str, builtin: type[Exception]) -> None:
    assert issubclass(getattr(errors, name), builtin)


def test_the_errors_module_imports_nothing_of_authprobe() -> None:
    """Layer L0: the built-in targets may import it and nothing else of the engine."""
    tree = ast.parse(inspect.getsource(errors))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported == ["__future__"]


def test_the_plugin_shortens_its_errors_but_reports_a_check_failure_with_its_evidence(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shown="""
        from authprobe.errors import AuthMismatch, HookUnavailable

        def test_tool_error():
            raise HookUnavailable("the target profile lists no 'expire' hook")

        def test_check_failure():
            raise AuthMismatch("UI and backend disagree: ui says A, backend says B")
        """)
    result = pytester.runpytest_subprocess("--authprobe", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "HookUnavailable: the target profile lists no 'expire' hook" in out
    assert "raise HookUnavailable(" not in out  # one sentence, no traceback
    assert "raise AuthMismatch(" in out  # the traceback and its evidence
    assert "AuthMismatch: UI and backend disagree: ui says A, backend says B" in out
