"""The walls between layers: import-linter keeps the package's (pyproject.toml, run by .ci/run);
this keeps the folders outside it. Nothing imports the tool's own tests."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_TESTS = ("src", "pages", "flows", "e2e", "bench", "docs")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_outside_tests_imports_the_tools_own_tests() -> None:
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in OUTSIDE_TESTS for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
        for name in _imported_modules(path) if name == "tests" or name.startswith("tests."))
    assert not offenders, "tests/ is imported by nothing; move what is shared into authprobe:\n" + \
        "\n".join(offenders)


def test_nothing_imports_a_generic_top_level_name_of_ours() -> None:
    """Everything is `authprobe.…`: the old top-level packages must not come back."""
    old = {"harness", "runsecurity", "selftest", "sandbox", "targets", "pages", "flows", "e2e"}
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in (*OUTSIDE_TESTS, "tests") for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts and "corpus" not in path.parts
        for name in _imported_modules(path) if name.split(".")[0] in old)
    assert not offenders, "\n".join(offenders)
