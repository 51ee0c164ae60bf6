"""A morning report leads with the finding: in the HTML report, in JUnit and in the terminal.

One check (logout ends the session on the server) runs against a sandbox seeded with
`client_only_logout`: both journey steps pass and the check's own judgement after them fails,
which is the case where every step used to read "ok". The HTML report is then opened in a
browser and photographed, and read through its DOM.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from authprobe.oracle.journey import Journey
from authprobe.scan import scan_paths
from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent
CHECK = "e2e/test_sessions.py::test_logout_ends_the_session_on_the_server"
FINDING = "logout only cleared the browser"
JUDGEMENT = "logout ends the session on the server"


def test_the_finding_is_the_assertion_message_without_pytests_explanation() -> None:
    from authprobe.plugin.journeys import finding

    try:
        assert not True, "the old cookies still work\n  backend: signed in as a@example.test"  # noqa: PT015
    except AssertionError as error:
        said = finding(error)
    # pytest indents the message's later lines (its assertion rewriting), so compare the words
    assert " ".join(said.split()) == "the old cookies still work backend: signed in as a@example.test", said
    assert finding(TimeoutError("waited 5 s for the mail\nCall log:\n  - x\n  - y\n  - z")) == (
        "TimeoutError: waited 5 s for the mail\nCall log:\n  - x")


def test_a_failed_judgement_is_a_red_step_of_its_own() -> None:
    journey = Journey("logout", ui=None, backend=None)  # type: ignore[arg-type]  # no step reads them
    journey.judged(JUDGEMENT, "the old cookies still work")
    [record] = journey.records
    assert record.outcome == "failed" and "the old cookies still work" in journey.report()
    assert 'class="step-failed" style="background:#fde2e1"' in journey.as_html()


def test_junit_failures_open_with_the_finding_the_journey_and_the_trace(tmp_path: Path) -> None:
    from authprobe.junit import failures, lead_with_findings

    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite><testcase classname="e2e.test_x" name="test_y"><properties>'
        '<property name="finding" value="the old cookies still work"/>'
        '<property name="journey logout" value="failed 0.04s logout ends the session"/>'
        '<property name="playwright_trace" value="artifacts/x y/trace.zip"/></properties>'
        '<failure message="AssertionError: the old cookies still work&#10;assert not True">'
        "page = &lt;Page&gt;\nE       AssertionError: the old cookies still work</failure>"
        "</testcase></testsuite></testsuites>")
    lead_with_findings(junit)
    failure = ET.parse(junit).getroot().find(".//failure")
    assert failure is not None and failure.get("message") == "the old cookies still work"
    assert (failure.text or "").split("\n\n")[:3] == [
        "the old cookies still work", "failed 0.04s logout ends the session",
        "trace: artifacts/x y/trace.zip\n  playwright show-trace 'artifacts/x y/trace.zip'"], failure.text
    assert failures(junit, tmp_path) == [("e2e.test_x::test_y", "AssertionError: the old cookies still work")]


@pytest.mark.whole_runs  # a sandbox and one e2e check in a subprocess
def test_a_failures_report_opens_with_the_finding_then_its_red_judgement(tmp_path: Path) -> None:
    target = started_sandbox("--defect", "client_only_logout")
    report, junit = tmp_path / "reports" / "report.html", tmp_path / "reports" / "junit.xml"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", CHECK, "--browser", "chromium", "-p", "no:randomly",
             "--html", str(report), "--self-contained-html", "--junitxml", str(junit)],
            cwd=ROOT, env=suite_env_for(target, tmp_path), capture_output=True, text=True, timeout=120)
    finally:
        target.stop()
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]

    [trace] = sorted((tmp_path / "artifacts").rglob("trace.zip"))
    assert f"playwright show-trace {trace.relative_to(ROOT) if trace.is_relative_to(ROOT) else trace}" \
        in out, out[-3000:]

    case = ET.parse(junit).getroot().find(".//testcase")
    failure = case.find("failure") if case is not None else None
    assert failure is not None and (failure.get("message") or "").startswith(FINDING), failure
    text = failure.text or ""
    assert text.startswith(FINDING) and "failed" in text and JUDGEMENT in text, text[:800]
    assert text.index("playwright show-trace") < text.index("pytest's traceback"), text[:1500]

    first, judgement, dump_open, order = rendered(report, tmp_path / "report.png")
    assert first.startswith(FINDING), first
    assert judgement == ("rgb(253, 226, 225)", "failed"), judgement
    assert dump_open is False, "pytest's dump is not folded away"
    assert order == ["finding", "journey", "screenshot", "trace", "pytest-log"], order
    assert (tmp_path / "report.png").stat().st_size > 10_000

    token = target.admin_token
    assert token is not None and token.get_secret_value() not in report.read_text()
    assert not [f for f in scan_paths([report, junit], {"E2E_ADMIN_TOKEN": token})
                if f.kind.startswith("secret")]


def rendered(report: Path, shot: Path) -> tuple[str, tuple[str, str], bool | None, list[str]]:
    """The report in a browser, photographed: (the failure's first text, the judgement step's
    background and outcome, whether pytest's dump is open, the order of what the failure shows)."""
    from playwright.sync_api import sync_playwright

    from authprobe.browser_config import load_browser_config

    config = load_browser_config()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**config.launch_options("chromium", None, playwright))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(report.as_uri())
        failure = page.locator("tbody.failed td.extra")
        failure.locator("table.journey").wait_for()
        page.screenshot(path=shot, full_page=True)
        first = failure.evaluate("cell => cell.innerText.trim()")
        step = failure.locator("table.journey tr", has_text=JUDGEMENT)
        judgement = (step.evaluate("row => getComputedStyle(row).backgroundColor"),
                     step.locator("td").nth(1).inner_text())
        dump_open = failure.locator("details.pytest-log").evaluate("d => d.open")
        order = failure.evaluate("""cell => [...cell.querySelectorAll(
            '.finding, table.journey, img.screenshot, .trace, details.pytest-log')]
            .filter(e => e.offsetParent !== null || e.tagName === 'DETAILS')
            .map(e => e.matches('.finding') ? 'finding' : e.matches('table') ? 'journey'
                 : e.matches('img') ? 'screenshot' : e.matches('.trace') ? 'trace' : 'pytest-log')""")
        browser.close()
    return first, judgement, dump_open, order
