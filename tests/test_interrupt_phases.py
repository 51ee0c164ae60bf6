"""Ctrl-C at each phase of a run: exit 2, no traceback, no secret, nothing left behind.

Each case runs one shipped check in its own process group (as in a terminal, Ctrl-C reaches
pytest, Playwright's driver and the browser at once) against a sandbox started here, behind a
real proxy that holds back the one request that marks the phase: the preflight's look at the
session endpoint, the admin API creating the throwaway user, the browser submitting the
sign-in form. SIGINT lands while that request is in flight. Afterwards no process of the
group is alive, the output holds no secret and no traceback, and every user the run made is
either removed or on the journal `authprobe sweep` reads. The teardown phase (a slow removal)
is tests/test_interrupt_exit.py; `authprobe run` is the last case here: the command waits
for pytest's own teardown instead of killing it, and ends with its exit code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.slowproxy import slow_proxy
from tests.test_interrupted_runs import (
    ADMIN,
    ONE_USER_TEST,
    ROOT,
    Sandbox,
    assert_no_secret,
    sandbox,  # noqa: F401 - the fixture
    suite_env,
)

pytestmark = pytest.mark.whole_runs  # browser runs in subprocesses: the long job

PYTEST = [sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser", "chromium", "-q",
          "-p", "no:randomly"]
CLI_RUN = [sys.executable, "-m", "authprobe.cli", "run", "-k", ONE_USER_TEST.split("::")[1], "-q",
           "-p", "no:randomly"]

PHASES = {  # phase -> (the request line held back, the command)
    "preflight": (r"^GET /api/session", PYTEST),
    "user creation": (r"^POST /api/admin/users ", PYTEST),
    "in the browser": (r"^POST /login", PYTEST),
    "authprobe run": (r"^POST /api/admin/users ", CLI_RUN),
}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("phase", PHASES)
def test_ctrl_c_at_each_phase_ends_with_exit_2_and_leaves_nothing(
    sandbox: Sandbox, tmp_path: Path, phase: str,  # noqa: F811 - the fixture
) -> None:
    held, command = PHASES[phase]
    state = tmp_path / "state"
    with slow_proxy(int(sandbox.target.base_url.rsplit(":", 1)[1])) as proxy:
        proxy.slow, proxy.delay_s = re.compile(held), 30.0  # far longer than the test waits
        env = suite_env(sandbox, f"http://127.0.0.1:{proxy.port}", state, E2E_HTTP_TIMEOUT="25",
                        E2E_PROVISION="admin_api")
        run = subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
        assert proxy.slowed.wait(120), f"the run never reached {phase}: {proxy.seen}"
        pressed = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)
        out, err = run.communicate(timeout=60)
        seconds = time.monotonic() - pressed
        proxy.delay_s = 0.0
        time.sleep(0.5)  # the group's last processes (the browser) go down with their parent
        left_running = _group_alive(run.pid)
        if left_running:
            os.killpg(run.pid, signal.SIGKILL)
        listed = subprocess.run([sys.executable, "-m", "authprobe.cli", "sweep", "--list"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=60)
    output = out + err
    print(f"Ctrl-C during {phase}: exit {run.returncode} after {seconds:.1f} s")
    assert run.returncode == 2, output[-3000:]
    assert "Traceback" not in output and "ExceptionGroup" not in output, output[-3000:]
    assert re.search(r"interrupted|KeyboardInterrupt", output), output[-3000:]
    assert_no_secret(sandbox, output, listed.stdout, listed.stderr)
    assert not left_running, f"a process of the interrupted run outlived it ({phase})"
    left = [user for user in sandbox.users() if user != ADMIN]
    assert all(user in listed.stdout for user in left), (left, listed.stdout)
