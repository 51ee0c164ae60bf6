"""Ctrl-C during a slow admin API call: exit 2 (pytest's "interrupted"), no traceback, no
secret, and the user it was removing either removed or on the journal `authprobe sweep` reads.

pytest groups every error of one teardown into a BaseExceptionGroup, so a Ctrl-C followed by
any other teardown error (the browser contexts that went down with it) became a test error
and exit 1. The first test shows that mechanism alone, in a second; the second the whole run:
one shipped check in a subprocess against a sandbox started here, behind a real proxy that
holds the admin API's deletion for longer than the test waits, SIGINT landing while the call
is in flight (the proxy has the request).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
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

pytest_plugins = ["pytester"]

TEARDOWN_INTERRUPTED = """
import pytest

def close_contexts():
    raise RuntimeError("Target page, context or browser has been closed")

@pytest.fixture(scope="session")
def browser():
    yield
    raise RuntimeError("Browser.close: Connection closed")  # the driver went down with Ctrl-C

@pytest.fixture
def users(request, browser):
    request.addfinalizer(close_contexts)  # pytest runs it even after a KeyboardInterrupt
    yield
    raise KeyboardInterrupt  # Ctrl-C in the middle of removing them

def test_check(users):
    pass

def test_never_reached():
    pass
"""


def test_ctrl_c_among_other_teardown_errors_still_ends_the_run_as_interrupted(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_interrupted=TEARDOWN_INTERRUPTED)
    done = pytester.runpytest_subprocess("-p", "authprobe.plugin.reporting", "-p", "no:randomly", "-v")
    output = done.stdout.str() + done.stderr.str()
    assert done.ret == pytest.ExitCode.INTERRUPTED, output  # before: 1, "1 passed, 1 error"
    assert "Traceback" not in output and "ExceptionGroup" not in output, output
    assert "test_never_reached" not in output and "KeyboardInterrupt" in output
    assert "authprobe: interrupted; the teardown after it ended early (Browser.close: Connection closed)" \
        in output


@pytest.mark.whole_runs  # a browser run in a subprocess: the long job
def test_ctrl_c_during_a_slow_admin_call_exits_2_without_a_traceback_and_journals_the_user(
    sandbox: Sandbox, tmp_path: Path,  # noqa: F811 - the fixture
) -> None:
    state = tmp_path / "state"
    with slow_proxy(int(sandbox.target.base_url.rsplit(":", 1)[1])) as proxy:
        proxy.slow, proxy.delay_s, proxy.drop = re.compile(r"^DELETE /api/admin/users/qa"), 30.0, True
        # the call waits far longer than the test does: SIGINT always lands inside it
        env = suite_env(sandbox, f"http://127.0.0.1:{proxy.port}", state, E2E_HTTP_TIMEOUT="25",
                        E2E_PROVISION="admin_api")
        # its own process group, as in a terminal: Ctrl-C reaches pytest, Playwright's driver
        # and the browser at once (the driver going down is what fails the rest of the teardown)
        run = subprocess.Popen([sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser", "chromium",
                                "-q", "-p", "no:randomly"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        assert proxy.slowed.wait(120), "the run never reached its user cleanup"
        os.killpg(run.pid, signal.SIGINT)
        out, err = run.communicate(timeout=60)
    output = out + err
    assert run.returncode == 2, output[-3000:]  # before: 1, with a BaseExceptionGroup traceback
    assert "Traceback" not in output and "ExceptionGroup" not in output, output[-3000:]
    assert_no_secret(sandbox, output)
    left = [user for user in sandbox.users() if user != ADMIN]
    listed = subprocess.run([sys.executable, "-m", "authprobe.cli", "sweep", "--list"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert left and all(user in listed.stdout for user in left), (left, listed.stdout)
