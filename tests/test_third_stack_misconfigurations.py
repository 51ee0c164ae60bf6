"""The Django target's switchable misconfigurations: each makes the check that guards it
fail with its finding, and that check passes on the clean app. CI has just run the whole suite
on targets/django_two_factor.toml and names its JUnit (AUTHPROBE_CI_DJANGO_JUNIT): the clean
side is read from there; without it (a local run) each check runs once more on the clean app,
so one file proves both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authprobe.junit import passed

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent

CAUGHT_BY = {
    "verification_optional": (
        "e2e/test_signup.py::test_signin_before_activation_is_refused",
        "sign-up signed the new account in at once"),
    "signed_cookie_sessions": (
        "e2e/test_sessions.py::test_logout_ends_the_session_on_the_server",
        "logout only cleared the browser"),
    "revealing_reset": (
        "e2e/test_reset.py::test_unknown_email_gets_the_same_reset_answer_and_no_reset_link",
        "account enumeration in reset"),
    "password_change_keeps_sessions": (
        "e2e/test_password_change.py::test_password_change_ends_every_other_session",
        "its session must be over"),
    "otp_unthrottled": (
        "e2e/test_lockout.py::test_wrong_second_factor_codes_are_limited_and_then_the_right_one_is_refused",
        "no backoff on second-factor code guesses"),
}


def _check(node: str, misconfiguration: str | None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env.update({"E2E_TARGET": "django_two_factor", "E2E_STATE_DIR": str(tmp / "state"),
                "E2E_SANDBOX_ARGS": f"--misconfigure {misconfiguration}" if misconfiguration else ""})
    return subprocess.run(
        [sys.executable, "-m", "pytest", node, "--browser", "chromium", "-q", "-p", "no:randomly",
         "--output", str(tmp / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("misconfiguration", sorted(CAUGHT_BY))
def test_each_misconfiguration_is_caught_by_a_check_that_passes_on_the_clean_app(
    misconfiguration: str, tmp_path: Path,
) -> None:
    node, finding = CAUGHT_BY[misconfiguration]
    broken = _check(node, misconfiguration, tmp_path / "broken")
    assert broken.returncode == 1 and finding in broken.stdout, broken.stdout[-3000:]
    if lane := os.environ.get("AUTHPROBE_CI_DJANGO_JUNIT"):
        assert f"{node}[chromium]" in passed(Path(lane)), f"{node} did not pass in CI's Django run ({lane})"
        return
    clean = _check(node, None, tmp_path / "clean")
    assert clean.returncode == 0, clean.stdout[-3000:]
