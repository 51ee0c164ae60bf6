"""Night over night (authprobe/compare.py, its CLI and the plugin's --compare-with): each check
lands in one category, and a step time is news only when it crosses its budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from authprobe.cli import main
from authprobe.compare import (
    STEP_PROPERTY,
    Run,
    StepTime,
    add_step_properties,
    as_html,
    as_markdown,
    as_text,
    compare,
    mark_flaky,
    node_to_check,
    read_history,
    read_run,
)
from authprobe.errors import CompareInputError

CHECKS = ("test_login", "test_logout_ends_server_session", "test_reset")


def junit(path: Path, failed: tuple[str, ...] = (), skipped: tuple[str, ...] = (),
          stamp: str = "2026-12-06T02:00:00", steps: dict[str, float] | None = None) -> Path:
    """A JUnit file as pytest writes it (one suite, classname from the module path)."""
    cases = []
    for name in CHECKS:
        inner = (f'<failure message="AuthMismatch: {name} broke">trace</failure>' if name in failed
                 else '<skipped message="not here" />' if name in skipped else "")
        cases.append(f'<testcase classname="e2e.test_sessions" name="{name}" time="1.0">{inner}</testcase>')
    values = {kind: json.dumps({"median": median, "count": 4, "budget": 2.0, "over": median > 2.0})
              for kind, median in (steps or {}).items()}
    props = "".join(f"<property name=\"{STEP_PROPERTY}{kind}\" value='{value}' />"
                    for kind, value in values.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
                    f'timestamp="{stamp}" tests="{len(CHECKS)}"><properties>{props}</properties>'
                    f'{"".join(cases)}</testsuite></testsuites>', encoding="utf-8")
    return path


LOGOUT = "e2e.test_sessions::test_logout_ends_server_session"


def test_a_new_failure_is_the_only_change_and_wandering_step_times_are_not_news(tmp_path: Path) -> None:
    clean = junit(tmp_path / "n1.xml", steps={"sign_in": 0.41, "page_load": 0.30})
    defect = junit(tmp_path / "n2.xml", failed=("test_logout_ends_server_session",),
                   stamp="2026-12-07T02:00:00", steps={"sign_in": 0.93, "page_load": 0.22})
    result = compare(read_history(clean), read_run(defect))
    assert result.new_failures == [(LOGOUT, "AuthMismatch: test_logout_ends_server_session broke")]
    assert (result.fixed, result.still_failing, result.flipping) == ([], [], [])
    assert [s.text() for s in result.steps] == [
        "page_load: 0.30 s -> 0.22 s median (budget 2.00 s), within budget",
        "sign_in: 0.41 s -> 0.93 s median (budget 2.00 s), within budget"]
    text = "\n".join(as_text(result))
    assert "1 new failure(s), 0 fixed, 0 still failing, 0 flipping" in text
    assert "sign_in" not in text  # within budget before and now: not in the terminal's block
    markdown = as_markdown(result)
    assert f"### New failures\n\n- `{LOGOUT}`: AuthMismatch" in markdown
    assert "OVER BUDGET" not in markdown and "### Fixed" not in markdown
    again = junit(tmp_path / "n3.xml", stamp="2026-12-08T02:00:00",
                  steps={"sign_in": 0.52, "page_load": 0.61})
    quiet = compare(read_history(clean), read_run(again))  # clean again, times moved within budget
    assert not quiet.changed and quiet.headline().endswith("nothing changed")


def test_a_step_that_crosses_its_budget_is_news(tmp_path: Path) -> None:
    before = junit(tmp_path / "n1.xml", steps={"sign_in": 0.5})
    now = junit(tmp_path / "n2.xml", stamp="2026-12-07T02:00:00", steps={"sign_in": 2.6})
    result = compare(read_history(before), read_run(now))
    assert result.changed and not result.new_failures
    assert "newly over budget: sign_in" in result.headline()
    assert "sign_in: 0.50 s -> 2.60 s median (budget 2.00 s), OVER BUDGET" in as_text(result)[-1]
    back = compare(read_history(now), read_run(before))
    assert back.changed and "back within budget: sign_in" in back.headline()


def test_fixed_still_failing_and_flipping_over_a_history(tmp_path: Path) -> None:
    logout, reset = "test_logout_ends_server_session", "test_reset"
    history = tmp_path / "history"
    # written out of order: the history is ordered by each run's timestamp, not by file name
    junit(history / "a.xml", failed=(logout, reset), stamp="2026-12-05T02:00:00")
    junit(history / "b.xml", failed=("test_login", reset), stamp="2026-12-03T02:00:00")
    junit(history / "c.xml", failed=(reset,), stamp="2026-12-06T02:00:00")
    junit(history / "d.xml", failed=(reset,), stamp="2026-12-04T02:00:00")
    now = junit(tmp_path / "now.xml", failed=(logout, reset), stamp="2026-12-07T02:00:00")
    result = compare(read_history(history), read_run(now))
    # test_login: F P P P P: failed on the oldest night only, passing since: neither news nor fixed
    assert result.fixed == [] and result.new_failures == []
    assert result.still_failing == [(f"e2e.test_sessions::{reset}", f"AuthMismatch: {reset} broke")]
    assert result.flipping == [(f"e2e.test_sessions::{logout}", "P P F P F")]


def test_a_check_triage_found_flaky_flips_even_without_alternating(tmp_path: Path) -> None:
    last = junit(tmp_path / "n1.xml", failed=("test_login",))
    mark_flaky(last, [node_to_check("e2e/test_sessions.py::test_login")])
    result = compare(read_history(last), read_run(junit(tmp_path / "n2.xml")))
    assert result.flipping == [("e2e.test_sessions::test_login", "F P (triage: flaky)")]
    assert result.fixed == []


def test_the_html_block_escapes_what_a_finding_says() -> None:
    run = Run("now", {"m::t": "failed"}, {"m::t": "UI says <b>signed in</b>"})
    html = as_html(compare([Run("before", {"m::t": "passed"})], run))
    assert "UI says &lt;b&gt;signed in&lt;/b&gt;" in html and "<b>signed" not in html


def test_step_times_go_into_the_runs_junit_for_the_next_night(tmp_path: Path) -> None:
    path = junit(tmp_path / "n1.xml")
    add_step_properties(path, {"mfa": StepTime(1.234567, 3, 2.0, False)})
    assert read_run(path).steps == {"mfa": StepTime(1.235, 3, 2.0, False)}


def test_the_cli_compares_and_writes_markdown_for_the_ci_summary(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = junit(tmp_path / "n1.xml")
    new = junit(tmp_path / "n2.xml", failed=("test_reset",), stamp="2026-12-07T02:00:00")
    assert main(["compare", str(old), str(new), "--markdown", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("## Night over night") and "`e2e.test_sessions::test_reset`" in out
    assert "authprobe: night over night since" in err


def test_the_cli_says_in_one_sentence_what_it_cannot_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.xml").write_text("<html>not junit", encoding="utf-8")
    new = junit(tmp_path / "n2.xml")
    assert main(["compare", str(tmp_path / "old.xml"), str(new)]) == 2
    err = capsys.readouterr().err
    assert "old.xml is not a readable JUnit XML file" in err and "Traceback" not in err
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareInputError, match="holds no JUnit XML file"):
        read_history(tmp_path / "empty")
    assert main(["compare", str(tmp_path / "none"), str(new), "--if-exists"]) == 0
    assert "no earlier run at" in capsys.readouterr().err


def test_a_run_compares_itself_in_its_report_terminal_and_markdown(pytester: pytest.Pytester) -> None:
    """The plugin: two nights of a tiny suite, the second with one failure; step times ride in JUnit."""
    pytester.makepyfile(test_night="""
        import os
        from authprobe.oracle.budgets import STEP_TIMES

        def test_stays_green():
            STEP_TIMES.record("sign_in", float(os.environ["SIGN_IN_S"]))

        def test_breaks_tonight():
            assert not os.environ.get("DEFECT"), "the session still works on the server after sign-out"
        """)
    base = ["--authprobe", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist"]
    env = {**os.environ, "SIGN_IN_S": "0.4"}
    first = subprocess.run([sys.executable, "-m", "pytest", *base, "--junitxml", "n1/junit.xml"],
                           cwd=pytester.path, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout
    second = subprocess.run(
        [sys.executable, "-m", "pytest", *base, "--junitxml", "n2/junit.xml", "--compare-with", "n1",
         "--html", "n2/report.html"], cwd=pytester.path, env={**env, "DEFECT": "1", "SIGN_IN_S": "0.9"},
        capture_output=True, text=True, timeout=120)
    assert second.returncode == 1, second.stdout
    assert "1 new failure(s), 0 fixed, 0 still failing, 0 flipping" in second.stdout
    # the finding sentence the plugin records, not pytest's "AssertionError: ..." line
    assert "test_night::test_breaks_tonight: the session still works on the server after sign-out" \
        in second.stdout
    report = (pytester.path / "n2" / "report.html").read_text(encoding="utf-8")
    assert report.index("Night over night") < report.index('class="run-count"')  # the report's top
    assert "sign_in: 0.40 s -&gt; 0.90 s median (budget 2.00 s), within budget" in report
    markdown = (pytester.path / "n2" / "compare.md").read_text(encoding="utf-8")
    assert "### New failures\n\n- `test_night::test_breaks_tonight`" in markdown
    assert read_run(pytester.path / "n2" / "junit.xml").steps["sign_in"].median == 0.9


def test_triage_leaves_its_flaky_verdict_in_the_junit_it_read(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from authprobe.cli import triage_runs

    night = junit(tmp_path / "junit.xml", failed=("test_login", "test_reset"))
    outcomes = {"test_login": "passed", "test_reset": "failed"}  # re-runs: login passes, reset does not
    monkeypatch.setattr(triage_runs, "attempt", lambda test, browser, folder: triage_runs.Attempt(
        outcomes[test.rsplit("::", 1)[-1]], "AuthMismatch: again", None))
    assert triage_runs.triage_command([], 1, night, "chromium", tmp_path / "out") == 1
    assert read_run(night).flaky == {"e2e.test_sessions::test_login"}


def test_a_merged_junit_combines_its_shards_step_times(tmp_path: Path) -> None:
    shards = [junit(tmp_path / name, steps={"sign_in": median})
              for name, median in (("a.xml", 0.5), ("b.xml", 2.5))]
    suites = [shard.read_text(encoding="utf-8").split("<testsuites>")[1].split("</testsuites>")[0]
              for shard in shards]
    merged = tmp_path / "merged.xml"
    merged.write_text(f"<testsuites>{''.join(suites)}</testsuites>", encoding="utf-8")
    assert read_run(merged).steps == {"sign_in": StepTime(1.5, 8, 2.0, True)}


LOGOUT_CHECK = "e2e.test_sessions::test_logout_ends_the_session_on_the_server[chromium]"


@pytest.mark.whole_runs  # two runs of the eight session checks, each against a sandbox it starts (~1 min)
def test_a_seeded_defect_is_the_only_change_from_a_clean_night(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent

    def night(name: str, defect: str, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
        env.update(E2E_TARGET="sandbox", E2E_SANDBOX_ARGS=f"--defect {defect}" if defect else "",
                   E2E_ARTIFACTS_DIR=str(tmp_path / name / "artifacts"),
                   E2E_STATE_DIR=str(tmp_path / "state"))
        return subprocess.run(
            [sys.executable, "-m", "pytest", "e2e", "-m", "sessions", "--browser", "chromium", "-p",
             "no:randomly", f"--junitxml={tmp_path / name / 'junit.xml'}", *extra],
            cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)

    clean = night("clean", "")
    assert clean.returncode == 0, clean.stdout[-3000:]
    defect = night("defect", "client_only_logout", "--compare-with", str(tmp_path / "clean" / "junit.xml"),
                   f"--html={tmp_path / 'defect' / 'report.html'}", "--self-contained-html")
    assert defect.returncode == 1, defect.stdout[-3000:]

    result = compare(read_history(tmp_path / "clean" / "junit.xml"),
                     read_run(tmp_path / "defect" / "junit.xml"))
    assert [check for check, _ in result.new_failures] == [LOGOUT_CHECK]
    assert (result.fixed, result.still_failing, result.flipping) == ([], [], [])
    assert result.steps  # the times moved, as they do every night, and are no news:
    assert not any(step.over or step.was_over for step in result.steps)
    assert "1 new failure(s), 0 fixed, 0 still failing, 0 flipping" in defect.stdout
    markdown = (tmp_path / "defect" / "compare.md").read_text(encoding="utf-8")
    assert markdown.count("\n- ") == 1 + len(result.steps), markdown  # one failure, then the step lines
    assert f"### New failures\n\n- `{LOGOUT_CHECK}`" in markdown
    report = (tmp_path / "defect" / "report.html").read_text(encoding="utf-8")
    assert report.index(LOGOUT_CHECK) < report.index('class="run-count"')  # at the report's top
