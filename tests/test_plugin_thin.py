"""The plugin is thin: it decides whether a run is authprobe's and, in any other run, costs one
module and changes nothing (src/authprobe/plugin/__init__.py).

Most of these run pytest in-process with pytester; the import census needs a fresh
interpreter, so it runs one (what a run has imported cannot be undone in this process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

from authprobe.plugin import is_authprobe_run, suite_dir

CENSUS_CONFTEST = """
    import json, os, sys


    def pytest_unconfigure(config):
        ours = sorted(name for name in sys.modules if name == "authprobe" or name.startswith("authprobe."))
        with open(os.environ["AUTHPROBE_CENSUS"], "w") as out:
            json.dump(ours, out)
"""


def test_a_run_that_is_not_authprobes_imports_nothing_of_authprobe_but_the_thin_plugin(
    tmp_path: Path,
) -> None:
    (tmp_path / "conftest.py").write_text(dedent(CENSUS_CONFTEST))
    (tmp_path / "test_theirs.py").write_text("def test_theirs():\n    assert True\n")
    census = tmp_path / "census.json"
    env = {**os.environ, "AUTHPROBE_CENSUS": str(census)}
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(census.read_text()) == ["authprobe", "authprobe.plugin"]  # loaded, and alone


def test_a_run_that_is_not_authprobes_gets_no_fixture_and_no_hook_of_authprobe(
    pytester: pytest.Pytester, run_inprocess: Callable[..., pytest.RunResult],
) -> None:
    pytester.makepyfile(test_theirs="""
        HOOKS = ("pytest_runtest_call", "pytest_runtest_makereport", "pytest_exception_interact",
                 "pytest_sessionfinish", "pytest_terminal_summary")


        def test_theirs(request):
            hooks = request.config.hook
            ours = [(name, impl.plugin_name) for name in HOOKS
                    for impl in getattr(hooks, name).get_hookimpls()
                    if getattr(impl.plugin, "__name__", "").startswith("authprobe")]
            assert not ours
    """)
    run_inprocess().assert_outcomes(passed=1)
    listed = run_inprocess("--fixtures").stdout.str()
    assert "authprobe/plugin" not in listed and "page" in listed  # pytest-playwright's are listed


def test_the_shipped_suite_by_path_or_module_name_is_an_authprobe_run(pytester: pytest.Pytester) -> None:
    suite = suite_dir()
    assert suite is not None and (suite / "test_login.py").is_file()
    for args in ([str(suite)], [f"{suite / 'test_login.py'}::test_x"], ["--pyargs", "authprobe.e2e"],
                 ["--pyargs", "authprobe.e2e.test_login"]):
        assert is_authprobe_run(pytester.parseconfig(*args)), args


def test_other_tests_are_an_authprobe_run_only_when_they_say_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_theirs="def test_theirs():\n    pass\n")
    assert not is_authprobe_run(pytester.parseconfig(str(pytester.path)))
    assert not is_authprobe_run(pytester.parseconfig("--pyargs", "json"))
    assert is_authprobe_run(pytester.parseconfig(str(pytester.path), "--authprobe"))
    pytester.makeini("[pytest]\nauthprobe = true\n")
    assert is_authprobe_run(pytester.parseconfig(str(pytester.path)))
