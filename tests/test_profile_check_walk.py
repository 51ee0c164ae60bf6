"""`authprobe profile check` walks past a stage it cannot pass: with a sign-up form whose
further fields the profile does not give, the user comes from the admin API and the sign-in,
account, password-change and reset screens are still checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authprobe.profile import TARGETS_DIR

pytestmark = pytest.mark.whole_runs  # a browser and a sandbox in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent


def test_the_walk_goes_past_a_sign_up_it_cannot_pass(tmp_path: Path) -> None:
    profile = tmp_path / "fields-missing.toml"
    profile.write_text(f'extends = "{TARGETS_DIR / "sandbox.toml"}"\nname = "fields_missing"\n'
                       '[launch]\nargs = ["--shape", "signup_extra_fields"]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env["E2E_TARGET"] = str(profile)
    result = subprocess.run(
        [sys.executable, "-m", "authprobe.cli", "profile", "check", "--output", str(tmp_path / "out")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode != 0
    assert "'sign up' could not be passed: the browser refused to send the signup form" in result.stdout
    assert "User name (" in result.stdout
    for screen in ("login", "shell", "mfa_setup", "password_change", "reset_request", "reset_form"):
        assert f"\n{screen} (" in result.stdout, f"the walk did not reach {screen}:\n{result.stdout[-3000:]}"
