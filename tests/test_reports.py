"""Journeys where people look: HTML report, JUnit XML and the Playwright trace's groups.

One e2e check runs against a sandbox seeded with a defect whose UI keeps showing the user
after the backend ended the session, so the failure has both sides to show; the same check
against the clean sandbox passes and its journey is still in JUnit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from authprobe.scan import scan_paths
from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
CHECK = "e2e/test_sessions.py::test_idle_session_expires_and_the_ui_forgets_the_user"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    report: Path
    junit: Path
    artifacts: Path


@pytest.fixture(scope="module")
def broken() -> Iterator[Target]:
    target = started_sandbox("--defect", "ui_cached_identity")
    yield target
    target.stop()


def run_check(target: Target, tmp: Path, *args: str) -> Run:
    report, junit = tmp / "reports" / "report.html", tmp / "reports" / "junit.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", CHECK, "--browser", "chromium", "-p", "no:randomly",
         "--html", str(report), "--self-contained-html", "--junitxml", str(junit), *args],
        cwd=ROOT, env=suite_env_for(target, tmp), capture_output=True, text=True, timeout=180)
    return Run(done.returncode, done.stdout + done.stderr, report, junit, tmp / "artifacts")


def rendered(report: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """The report opened in a browser with the network cut: (mismatch rows, image sources,
    link targets, requests that were not for the file itself)."""
    from playwright.sync_api import sync_playwright

    from authprobe.browser_config import load_browser_config

    config = load_browser_config()
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**config.launch_options("chromium", None, playwright))
        context = browser.new_context(offline=True)
        context.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
                   else outside.append(r.url))
        page = context.new_page()
        page.goto(report.as_uri())
        page.locator("table.journey").first.wait_for(state="attached")
        rows = page.locator("table.journey tr[style*='fde2e1']").all_inner_texts()
        images = page.locator("img").evaluate_all("els => els.map(e => e.src.slice(0, 30))")
        links = page.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        browser.close()
    return rows, images, [link or "" for link in links], outside


def test_a_failing_checks_report_shows_the_mismatch_screenshot_and_trace(
    broken: Target, tmp_path: Path
) -> None:
    run = run_check(broken, tmp_path)
    assert run.code == 1, run.out[-3000:]
    rows, images, links, outside = rendered(run.report)
    assert rows, "no highlighted mismatch row in the HTML report"
    assert "ui: signed in as" in rows[0] and "backend: signed out" in rows[0], rows[0]
    assert any(src.startswith("data:image/png") for src in images), images
    traces = [link for link in links if link.endswith("trace.zip")]
    assert traces and (run.report.parent / traces[0]).is_file(), links
    assert outside == [], f"the report asked the network for {outside}"
    token = broken.admin_token
    assert token is not None and token.get_secret_value() not in run.report.read_text()
    assert not [f for f in scan_paths([run.report], {"E2E_ADMIN_TOKEN": token})
                if f.kind.startswith("secret")]


def test_junit_carries_the_journey_and_the_trace_reads_as_the_journey(
    broken: Target, tmp_path: Path
) -> None:
    run = run_check(broken, tmp_path, "--tracing", "on")
    case = ET.parse(run.junit).getroot().find(".//testcase")
    assert case is not None
    journeys = [p.get("value", "") for p in case.iter("property")
                if (p.get("name") or "").startswith("journey")]
    assert journeys and "mismatch" in journeys[0] and "backend: signed out" in journeys[0]
    [trace] = sorted(run.artifacts.rglob("trace.zip"))
    with zipfile.ZipFile(trace) as archive:
        events = [json.loads(line) for name in archive.namelist() if name.endswith(".trace")
                  for line in archive.read(name).decode().splitlines() if line.strip()]
    groups = [e.get("title", "") for e in events
              if e.get("type") == "before" and e.get("method") == "tracingGroup"]
    assert groups == ["idle expiry: sign in", "idle expiry: open the account page after expiry"], \
        groups


def test_a_passing_check_has_its_journey_in_junit_and_no_highlight(tmp_path: Path) -> None:
    target = started_sandbox()
    try:
        run = run_check(target, tmp_path)
    finally:
        target.stop()
    assert run.code == 0, run.out[-3000:]
    page = run.report.read_text()
    assert "what the backend said" in page and "background:#fde2e1" not in page
    case = ET.parse(run.junit).getroot().find(".//testcase")
    assert case is not None and any((p.get("name") or "").startswith("journey")
                                    for p in case.iter("property"))
