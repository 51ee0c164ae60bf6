"""`authprobe doctor` signs in to the admin screen when the profile drives one: a wrong
E2E_ADMIN_PASSWORD is named before a run, not at its first throwaway user."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox()
    yield target
    target.stop()


def _doctor(target: Target, tmp: Path, **env: str) -> str:
    assert target.admin_email is not None and target.admin_password is not None
    admin = {"E2E_ADMIN_EMAIL": target.admin_email,
             "E2E_ADMIN_PASSWORD": target.admin_password.get_secret_value()}
    done = subprocess.run([sys.executable, "-m", "authprobe.cli", "doctor"], cwd=ROOT,
                          env={**suite_env_for(target, tmp), **admin, **env}, capture_output=True,
                          text=True, timeout=60, check=False)
    return done.stdout + done.stderr


def test_doctor_signs_in_to_the_admin_screen(sandbox: Target, tmp_path: Path) -> None:
    fine = _doctor(sandbox, tmp_path)
    assert f"✓ admin screen: {sandbox.admin_email} signs in and sees the admin screen at /admin" in fine
    wrong = _doctor(sandbox, tmp_path, E2E_ADMIN_PASSWORD="wrong-" + secrets.token_hex(8))
    line = next(ln for ln in wrong.splitlines() if ln.startswith("✗ admin screen:"))
    assert f"the admin account {sandbox.admin_email} could not sign in" in line
    assert "check E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD" in line
