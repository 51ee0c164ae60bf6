"""Regenerate docs/html-report.png and docs/trace-journey.png from a real failing run.

Two checks run against a sandbox seeded with `ui_cached_identity` (the UI keeps showing the
user after the backend ended the session) and `client_only_logout` (sign-out leaves the server
session valid), with the HTML report and tracing on. The report is photographed at the logout
check's failure (the finding first, then the journey whose judgement is a red step of its own),
the trace viewer (`playwright show-trace`, served on loopback) at the idle-expiry check's trace.

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from authprobe.browser_config import load_browser_config  # noqa: E402
from authprobe.target.environment import started_sandbox, suite_env_for  # noqa: E402

CHECK = "e2e/test_sessions.py::test_idle_session_expires_and_the_ui_forgets_the_user"
JUDGED = "e2e/test_sessions.py::test_logout_ends_the_session_on_the_server"


def main() -> int:
    config = load_browser_config()
    with tempfile.TemporaryDirectory(prefix="authprobe-shots-") as scratch:
        tmp = Path(scratch)
        target = started_sandbox("--defect", "ui_cached_identity", "--defect", "client_only_logout")
        try:
            report = tmp / "report.html"
            subprocess.run([sys.executable, "-m", "pytest", CHECK, JUDGED, "--browser", "chromium", "-q",
                            "-p", "no:randomly", "--tracing", "on", "--html", str(report),
                            "--self-contained-html"], cwd=ROOT, env=suite_env_for(target, tmp),
                           capture_output=True, text=True, timeout=180)
        finally:
            target.stop()
        [trace] = sorted((tmp / "artifacts").glob("*idle-session*/trace.zip"))
        viewer = subprocess.Popen([sys.executable, "-m", "playwright", "show-trace", "--host",
                                   "127.0.0.1", "--port", "0", str(trace)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True,
                                  env={**os.environ, "BROWSER": "none"})
        try:
            assert viewer.stdout is not None
            url = ""
            ends = time.monotonic() + 30
            while not url and time.monotonic() < ends:
                found = re.search(r"https?://127\.0\.0\.1:\d+\S*", viewer.stdout.readline())
                url = found.group(0) if found else ""
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**config.launch_options("chromium", None,
                                                                             playwright))
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(report.as_uri())
                failure = page.locator("tbody.failed", has_text="test_logout_ends").locator(".finding")
                failure.evaluate("finding => window.scrollTo(0, finding.getBoundingClientRect().top "
                                 "+ window.scrollY - 120)")
                page.screenshot(path=ROOT / "docs" / "html-report.png", full_page=False)
                if url:
                    page.goto(url)
                    page.get_by_text("idle expiry: open the account page after expiry").first.wait_for()
                    page.screenshot(path=ROOT / "docs" / "trace-journey.png")
                browser.close()
        finally:
            viewer.terminate()
            viewer.wait(timeout=10)
    print("wrote docs/html-report.png" + (" and docs/trace-journey.png" if url else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
