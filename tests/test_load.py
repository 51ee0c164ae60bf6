"""`authprobe load`: many contexts signing in and out together against a real sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.whole_runs  # tens of browser contexts for half a minute: the long job

ROOT = Path(__file__).resolve().parent.parent


def load(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    return subprocess.run([sys.executable, "-m", "authprobe.cli", "load", *args], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_fifty_users_for_thirty_seconds_see_only_themselves() -> None:
    done = load("--users", "50", "--seconds", "30")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = re.search(r"(\d+) sign-in\(s\), 0 error\(s\), 0 identity cross-talk", done.stdout)
    assert summary and int(summary.group(1)) >= 50, done.stdout
    assert re.search(r"sign-in time: p50 \d+ ms, p95 \d+ ms", done.stdout), done.stdout


def test_the_concurrency_defect_is_reported_as_cross_talk() -> None:
    done = load("--users", "10", "--seconds", "10",
                E2E_SANDBOX_ARGS="--defect concurrent_session_crosstalk")
    assert done.returncode == 1, done.stdout[-3000:]
    assert re.search(r"[1-9]\d* identity cross-talk", done.stdout), done.stdout
    assert "cross-talk: qa+load" in done.stdout and " saw qa+load" in done.stdout


def test_a_target_that_is_not_loopback_needs_allow_host() -> None:
    started = time.monotonic()
    done = load("--users", "5", "--seconds", "5", E2E_BASE_URL="http://10.0.0.1:80",
                E2E_IMAP_USER="qa", E2E_IMAP_PASSWORD="x", E2E_MAIL_ADDRESS="qa@example.test")
    assert done.returncode == 2 and time.monotonic() - started < 15
    assert "pass --allow-host 10.0.0.1" in done.stderr and "Traceback" not in done.stderr


def test_bounds_are_one_sentence() -> None:
    done = load("--users", "5000", "--seconds", "5")
    assert done.returncode == 2 and "--users must be" in done.stderr
