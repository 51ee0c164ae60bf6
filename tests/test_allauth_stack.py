"""django-allauth, onboarded by profile alone (targets/allauth.toml, written from `authprobe docs`):
the sign-in and session checks of the e2e suite run against allauth's stock views, templates
and headless session endpoint (sandbox/allauth/) and find nothing wrong. A fourth stack that
none of the suite's Python knows keeps the profile format honest: a key it needed and lacked
shows here as a failure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent


def test_allauth_passes_the_sign_in_and_session_checks_by_profile_alone(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env.update({"E2E_TARGET": "allauth", "E2E_STATE_DIR": str(tmp_path / "state"),
                "E2E_KEEP_ARTIFACTS": "never"})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e/", "-m", "login or sessions", "--browser", "chromium",
         "-q", "-n", "2", "-p", "no:randomly", "-rsx", "--output", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    tail = done.stdout[-4000:]
    assert done.returncode == 0, f"the allauth run failed (exit {done.returncode}):\n{tail}"
    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\b[1-9]\d* passed\b", summary), f"nothing passed against allauth:\n{tail}"
    assert "failed" not in summary and "error" not in summary, tail
