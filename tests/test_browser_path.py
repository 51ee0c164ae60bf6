"""E2E_BROWSER_PATH naming a program that runs but is not a browser (issue 27): /bin/true, or a
wrapper that prints and exits. The suite and `authprobe doctor` say so in one sentence naming
the path and the setting, where Playwright would print a 70-line launch traceback.

Both start Playwright's driver and the named program, so run this file under the browser lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from authprobe.browser_config import load_browser_config
from authprobe.cli.doctor_checks import FAIL, _browser_check
from authprobe.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ONE_CHECK = "e2e/test_login.py::test_wrong_password_and_unknown_email_get_the_same_answer"
NOT_A_BROWSER = "is not a browser Playwright can start"


@pytest.fixture
def talker(tmp_path: Path) -> str:
    """A shell script that prints a line and exits, as a mistaken wrapper would."""
    script = tmp_path / "chrome-wrapper.sh"
    script.write_text("#!/bin/sh\necho 'starting the browser...'\nexit 0\n")
    script.chmod(0o755)
    return str(script)


def test_no_browser_path_leaves_playwrights_own_error_standing() -> None:
    assert load_browser_config().launch_problem(None, "BrowserType.launch: anything") is None


@pytest.mark.parametrize("program", ["/bin/true", "/bin/echo", "talker"])
def test_doctor_names_the_path_and_the_setting(program: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue("talker") if program == "talker" else program
    started = time.monotonic()
    result = _browser_check(Settings(_env_file=None, browser_path=path))  # type: ignore[call-arg]
    assert result.mark == FAIL
    assert f"E2E_BROWSER_PATH={path} {NOT_A_BROWSER}" in result.said
    assert "point it at chromium" in result.said and "\n" not in result.said
    assert "Target page, context or browser has been closed" not in result.said
    assert time.monotonic() - started < 10


def test_the_suite_stops_in_one_sentence_with_the_configuration_exit_code() -> None:
    """One shipped check against the built-in target, as a user would start it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", ONE_CHECK, "--browser", "chromium", "-q", "-p", "no:randomly"],
        cwd=ROOT, env={**clean, "E2E_BROWSER_PATH": "/bin/true"}, capture_output=True, text=True,
        timeout=60,
    )
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 3, output  # README: 3 is bad configuration
    assert "Traceback" not in output and "Browser logs" not in output, output
    [line] = [ln for ln in output.splitlines() if "authprobe:" in ln]
    assert f"E2E_BROWSER_PATH=/bin/true {NOT_A_BROWSER}" in line and "unset it" in line, output
    assert seconds < 20, f"took {seconds:.1f} s to stop"
