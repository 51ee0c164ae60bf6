"""Two pytest-xdist workers on one shared target (E2E_BASE_URL): the key-rotation check, which
signs out every user of the target, must never run while another check is signed in.

A planted check holds a signed-in session for six seconds and asks the backend every 100 ms
whether it is still signed in; the other worker runs the rotation check. With the workers'
reader-writer lock (src/authprobe/plugin/whole_target.py) one waits for the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parents[1]
ROTATION = "e2e/test_key_rotation.py::test_a_retired_key_opens_nothing_and_the_new_key_everything"

SPANNING_CHECK = """
    import time

    from authprobe.flows.session import sign_in


    def test_a_session_held_across_the_other_workers_checks(page, authprobe_profile, authprobe_users):
        user = authprobe_users.create(tag="span")
        assert sign_in(page, authprobe_profile, user.email, user.password).outcome == "signed_in"
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            answer = page.request.get(authprobe_profile.session_probe.url).json()
            assert answer["authenticated"], "signed out while this check held its session"
            time.sleep(0.1)
"""


@pytest.mark.whole_runs
def test_a_rotation_on_a_shared_target_waits_for_the_other_workers_checks(tmp_path: Path) -> None:
    planted = tmp_path / "test_spanning.py"
    planted.write_text(dedent(SPANNING_CHECK))
    target = started_sandbox()
    try:
        env = suite_env_for(target, tmp_path, E2E_KEEP_ARTIFACTS="never")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--authprobe", ROTATION, str(planted), "--browser",
             "chromium", "-q", "-n", "2", "--dist", "load", "-p", "no:randomly", "--rootdir", str(ROOT)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    finally:
        target.stop()
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "2 passed" in done.stdout, out[-3000:]
    locks = tmp_path / "state" / "locks"
    assert locks.is_dir(), "no worker took the shared target's lock"
    assert not list(locks.iterdir()), "the run left its lock files behind"
