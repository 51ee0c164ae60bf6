"""`authprobe mutants`: catalogue listing, bad names, the reordering plugin, error runs, and
a real mutation run of the unchanged e2e suite against seeded sandbox defects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from authprobe.cli import main
from authprobe.sandbox.defects import CATALOGUE
from authprobe.selftest.mutants import (
    DEFAULT_ORDER_FILE,
    ORDER_ENV,
    PLAIN,
    Plan,
    SuiteRun,
    clean_from_junit,
    clean_selection,
    confirm_catches,
    failures,
    first_tests,
    passed_clean,
    run_suite,
    updated_order,
)
from authprobe.selftest.mutants_plugin import FIRST_TESTS_ENV

ROOT = Path(__file__).resolve().parent.parent

TINY_SUITE = '''
import pytest

def test_alpha(): pass
def test_beta(): pass

@pytest.mark.parametrize("n", [1, 2])
def test_gamma(n): assert n == 1, "gamma wants one\\nsecond line"

class TestGroup:
    def test_delta(self): pass
'''


def test_list_prints_every_catalogue_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    for line, (name, bug) in zip(lines, CATALOGUE.items(), strict=True):
        assert line.split(maxsplit=1) == [name, bug]


def test_unknown_defect_is_one_sentence_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--only", "client_only_logout", "--only", "no_such_bug"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("authprobe: Unknown defect no_such_bug; known defects are: ")
    assert all(name in err for name in CATALOGUE) and "\n" not in err


def _run_tiny(tmp_path: Path, first: list[str], *extra: str) -> tuple[list[str], Path]:
    (tmp_path / "test_tiny.py").write_text(TINY_SUITE)
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "authprobe.selftest.mutants_plugin", "--junitxml", str(junit), "--rootdir", str(tmp_path),
         "-c", os.devnull, *extra, str(tmp_path)],
        cwd=tmp_path, env={**os.environ, FIRST_TESTS_ENV: "\n".join(first)},
        capture_output=True, text=True, timeout=120,
    )
    ran = [line.split()[0] for line in result.stdout.splitlines()
           if line.startswith("test_tiny.py::") and (" PASSED" in line or " FAILED" in line)]
    return ran, junit


def test_plugin_runs_named_tests_first_in_given_order(tmp_path: Path) -> None:
    ran, _ = _run_tiny(tmp_path, ["test_tiny.py::TestGroup::test_delta", "test_tiny.py::test_beta",
                                  "test_tiny.py::not_a_test"])
    assert ran == ["test_tiny.py::TestGroup::test_delta", "test_tiny.py::test_beta",
                   "test_tiny.py::test_alpha", "test_tiny.py::test_gamma[1]",
                   "test_tiny.py::test_gamma[2]"]


def test_plugin_without_names_keeps_file_order(tmp_path: Path) -> None:
    ran, _ = _run_tiny(tmp_path, [])
    assert ran[0] == "test_tiny.py::test_alpha" and ran[-1] == "test_tiny.py::TestGroup::test_delta"


def test_remembered_failure_first_with_x_stops_there_and_junit_names_it(tmp_path: Path) -> None:
    ran, junit = _run_tiny(tmp_path, ["test_tiny.py::test_gamma[2]"], "-x")
    assert ran == ["test_tiny.py::test_gamma[2]"]
    assert failures(junit, root=tmp_path) == [
        ("test_tiny.py::test_gamma[2]", "AssertionError: gamma wants one")]


def test_junit_error_reads_as_phase_and_exception_with_class_node_id(tmp_path: Path) -> None:
    """pytest sometimes puts a source line in an error's message; the exception is in E lines."""
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite><testcase classname="test_tiny.TestGroup" name="test_delta">'
        '<error message="failed on setup with &quot;api = &lt;APIRequestContext&gt;&quot;">'
        '    def users(api):\n&gt;       yield\nE   authprobe.errors.FlowError: no mail\nE   more'
        '</error></testcase></testsuite></testsuites>')
    (tmp_path / "test_tiny.py").write_text(TINY_SUITE)
    assert failures(tmp_path / "junit.xml", root=tmp_path) == [
        ("test_tiny.py::TestGroup::test_delta", "setup: authprobe.errors.FlowError: no mail")]


def test_prioritisation_memory() -> None:
    memory = {"a": "t1", "b": "t2", "c": "t2"}
    assert first_tests("a", memory) == ["t1", "t2"]
    assert first_tests("new", memory) == ["t2", "t1"]
    runs = [SuiteRun("a", "failed", "t9", "boom", 1.0), SuiteRun("b", "passed", None, "", 1.0),
            SuiteRun("c", "error", None, "exit 3", 1.0), SuiteRun(None, "passed", None, "", 1.0)]
    assert updated_order(memory, runs) == {"a": "t9", "c": "t2"}


def test_sandbox_that_cannot_start_is_an_error_not_a_catch() -> None:
    """An unknown defect makes the sandbox refuse to start: the suite stops (exit 3)."""
    run = run_suite("no_such_defect", [])
    assert run.outcome == "error" and run.verdict == "error", run
    assert run.message.startswith("exit 3: ") and "did not start" in run.message, run.message


def test_only_runs_the_clean_suite_for_the_remembered_catchers_or_says_why_not() -> None:
    memory = {"a": "t1", "b": "t2", "c": "t1"}
    assert clean_selection(None, memory, PLAIN) == ([], "the whole suite")
    tests, why = clean_selection(["a", "c"], memory, PLAIN)
    assert tests == ["t1"] and why.startswith("only the 1 test(s)"), why
    tests, why = clean_selection(["a", "new"], memory, PLAIN)
    assert tests == [] and "whole suite" in why and "catching new" in why, why
    tests, why = clean_selection(["a"], memory, Plan("shape.toml", ("-m", "expiry")))
    assert tests == [] and "pytest arguments" in why, why


def test_only_catches_the_clean_run_did_not_pass_are_confirmed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A catch counts when its test passed on a clean sandbox: the green clean run is that pass
    for every test it ran and did not skip; the rest run once more on a clean sandbox."""
    confirming: list[list[str]] = []

    def clean_check(defect: str | None, first: list[str], **kw: object) -> SuiteRun:
        tests = kw.get("tests")
        assert defect is None and isinstance(tests, list)
        confirming.append(tests)
        return SuiteRun(None, "passed", None, "", 1.0)

    monkeypatch.setattr("authprobe.selftest.mutants.run_suite", clean_check)
    runs = [SuiteRun("a", "failed", "t1", "x", 1.0), SuiteRun("b", "failed", "t2", "y", 1.0),
            SuiteRun("c", "failed", "t3", "z", 1.0)]
    whole = SuiteRun(None, "passed", None, "", 9.0, skipped=("t3",), passed=("t1", "t2"))
    assert confirm_catches(runs, 2, {}, PLAIN, passed_clean(whole)) == runs
    assert confirming == [["t3"]]  # skipped in the clean run: not yet seen passing
    confirming.clear()
    only = SuiteRun(None, "passed", None, "", 2.0, passed=("t1",))
    confirm_catches(runs, 2, {}, PLAIN, passed_clean(only))
    assert confirming == [["t2", "t3"]]  # the --only clean run ran t1 alone


SESSIONS = "e2e.test_sessions"


def _junit(path: Path, *cases: str) -> Path:
    path.write_text(f'<testsuites><testsuite time="12.5">{"".join(cases)}</testsuite></testsuites>')
    return path


def test_an_earlier_clean_junit_stands_for_the_clean_run_and_a_red_or_empty_one_does_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    green = clean_from_junit(_junit(
        tmp_path / "green.xml",
        f'<testcase classname="{SESSIONS}" name="test_a[chromium]"/>',
        f'<testcase classname="{SESSIONS}" name="test_b[chromium]"><skipped message="no"/></testcase>'))
    assert green.outcome == "passed" and green.seconds == 12.5, green
    assert passed_clean(green)("e2e/test_sessions.py::test_a[chromium]")
    assert not passed_clean(green)("e2e/test_sessions.py::test_b[chromium]")  # skipped there
    assert not passed_clean(green)("e2e/test_login.py::test_c[chromium]")  # not in that run
    red = clean_from_junit(_junit(
        tmp_path / "red.xml",
        f'<testcase classname="{SESSIONS}" name="test_a[chromium]"><failure message="AssertionError: '
        'still signed in"/></testcase>'))
    assert red.verdict == "FAILED" and red.test == "e2e/test_sessions.py::test_a[chromium]", red
    # the command: a red one runs no defect, one that passed nothing or is missing is a sentence
    assert main(["mutants", "--only", "client_only_logout", "--clean-junit", str(tmp_path / "red.xml")]) == 1
    assert "Fix the clean run first" in capsys.readouterr().out
    empty = _junit(tmp_path / "empty.xml")
    assert main(["mutants", "--only", "client_only_logout", "--clean-junit", str(empty)]) == 2
    assert capsys.readouterr().err.strip().endswith("against the clean sandbox.")
    assert main(["mutants", "--clean-junit", str(tmp_path / "nowhere.xml")]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("authprobe: --clean-junit ") and "does not exist" in said, said


def test_a_plan_gives_every_run_its_profile_and_pytest_arguments(tmp_path: Path) -> None:
    """Its target reaches the run (a missing profile stops it with that sentence), its pytest
    arguments too (a selection of nothing: pytest's exit 5), and only the plain plan learns."""
    missing = run_suite(None, [], plan=Plan(str(tmp_path / "nowhere.toml")))
    assert missing.outcome == "error" and "nowhere.toml" in missing.message, missing
    empty = run_suite(None, [], plan=Plan("sandbox", ("-k", "no_check_is_named_like_this")))
    assert empty.outcome == "error" and empty.message.startswith("exit 5"), empty
    assert PLAIN.plain and not Plan("sandbox", ("-m", "expiry")).plain and not Plan("x.toml").plain


@pytest.mark.mutation
def test_mutation_matrix_catches_every_seeded_defect(tmp_path: Path) -> None:
    """The real thing: the unchanged e2e suite, a clean sandbox, then one per defect. CI has just
    run the suite against the clean sandbox and names its JUnit (AUTHPROBE_CI_CLEAN_JUNIT): the
    matrix takes the clean run from it instead of running it again."""
    order = tmp_path / "mutants-order.json"
    if DEFAULT_ORDER_FILE.is_file():
        shutil.copy(DEFAULT_ORDER_FILE, order)  # CI reads the memory but never rewrites it
    clean = os.environ.get("AUTHPROBE_CI_CLEAN_JUNIT")
    result = subprocess.run(
        [sys.executable, "-m", "authprobe.cli", "mutants", "--json", *MATRIX_ARGS,
         *(["--clean-junit", clean] if clean else [])],
        cwd=ROOT, env={**os.environ, ORDER_ENV: str(order)}, capture_output=True, text=True,
        timeout=30 * 60,
    )
    assert result.stdout, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["clean"]["result"] == "green", report["clean"]
    verdicts = {run["defect"]: (run["result"], run["test"], run["message"])
                for run in report["defects"]}
    not_caught = {name: verdict for name, verdict in verdicts.items() if verdict[0] != "caught"}
    assert not not_caught, f"defects the e2e suite did not catch: {not_caught}"
    assert report["caught"] == report["total"] == len(verdicts) and result.returncode == 0


MATRIX_ARGS: list[str] = []  # the whole catalogue


def test_progress_speaks_from_the_first_second_with_elapsed_time_and_an_estimate() -> None:
    from authprobe.selftest.mutants import Progress

    now = [100.0]
    said: list[str] = []
    progress = Progress(4, jobs=2, write=said.append, clock=lambda: now[0], every_s=3600)
    progress.start()
    progress.stop()
    assert said and "4 defect(s)" in said[0]  # before any run has finished
    now[0] = 130.0
    assert progress.line() == "[0:30] clean run in progress; 4 defect(s) after it"
    progress.clean_done(60.0)
    now[0] = 160.0
    assert progress.line() == "[1:00] 0/4 defect(s) done; about 2:00 left"  # 4 × 60 s / 2 jobs
    progress.defect_done(20.0)
    progress.defect_done(40.0)
    now[0] = 200.0
    assert progress.line() == "[1:40] 2/4 defect(s) done; about 0:30 left"  # 2 × 30 s / 2 jobs


def test_progress_ticks_on_its_own() -> None:
    from authprobe.selftest.mutants import Progress

    said: list[str] = []
    progress = Progress(1, jobs=1, write=said.append, every_s=0.05)
    progress.start()
    time.sleep(0.3)
    progress.stop()
    assert len(said) >= 3 and "clean run in progress" in said[-1]
