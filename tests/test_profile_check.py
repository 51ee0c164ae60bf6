"""`authprobe profile check`: it finds a wrong locator in one run, and passes a right profile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authprobe.profile import TARGETS_DIR

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent


def _check(profile: Path, output: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env["E2E_TARGET"] = str(profile)
    return subprocess.run(
        [sys.executable, "-m", "authprobe.cli", "profile", "check", "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_a_wrong_locator_is_named_with_its_screen_and_a_screenshot(tmp_path: Path) -> None:
    profile = tmp_path / "wrong.toml"
    profile.write_text((TARGETS_DIR / "sandbox.toml").read_text(encoding="utf-8")
                       + '\n[locators.reset_request]\nsubmit_button = { role = "button", '
                       'name = "Email me a link" }\n', encoding="utf-8")
    result = _check(profile, tmp_path / "out")
    assert result.returncode != 0
    line = next(ln for ln in result.stdout.splitlines() if "submit_button" in ln
                and "[profile]" in ln)
    assert "not found" in line
    assert "profile check: 1 locator problem(s)" in result.stdout
    shots = list((tmp_path / "out" / "profile-check").glob("*reset_request*.png"))
    assert shots, result.stdout[-2000:]


def test_the_built_in_profile_passes_every_stage(tmp_path: Path) -> None:
    result = _check(TARGETS_DIR / "sandbox.toml", tmp_path / "out")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "profile check: 0 locator problem(s); every stage passed" in result.stdout
    for screen in ("signup", "activation", "login", "mfa_setup", "mfa_challenge",
                   "password_change", "reset_request", "reset_form"):
        assert f"\n{screen} (" in result.stdout, f"the walk did not reach {screen}"
