"""Interrupted, slow and dying runs leave the target clean and print no secret.

Each case runs the e2e suite in a subprocess against a sandbox started here (with a
database file we can read), often behind a real proxy that holds back the admin API's
deletions, and then greps every output for the run's secrets and the database for users.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox
from tests.slowproxy import slow_proxy

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin@sandbox.test"
ONE_USER_TEST = "e2e/test_sessions.py::test_session_id_changes_at_signin"


@dataclass
class Sandbox:
    target: Target
    db: Path

    def users(self) -> list[str]:
        listed = subprocess.run([sys.executable, "-m", "authprobe.sandbox.admin", "--db", str(self.db),
                                 "list"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
        return [json.loads(line)["email"] for line in listed.stdout.splitlines() if line.strip()]

    def secrets(self) -> list[str]:
        t = self.target
        return [s.get_secret_value() for s in (t.admin_token, t.hook_token, t.imap_password,
                                               t.admin_password) if s is not None]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    db = tmp_path / "app.sqlite3"
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        admin_token=SecretStr("adm-" + secrets.token_urlsafe(24)),
                        hook_token=SecretStr("hook-" + secrets.token_urlsafe(24)))
    target = start_sandbox(settings, ["--db", str(db)])
    yield Sandbox(target, db)
    target.stop()


def suite_env(box: Sandbox, base_url: str, state: Path, **extra: str) -> dict[str, str]:
    t = box.target
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env.update({
        "E2E_BASE_URL": base_url, "E2E_IMAP_HOST": t.imap_host, "E2E_IMAP_PORT": str(t.imap_port),
        "E2E_IMAP_USER": t.imap_user, "E2E_IMAP_SSL": "false", "E2E_MAIL_ADDRESS": t.mail_address,
        "E2E_IMAP_PASSWORD": t.imap_password.get_secret_value(),
        "E2E_ADMIN_TOKEN": t.admin_token.get_secret_value() if t.admin_token else "",
        "E2E_HOOK_TOKEN": t.hook_token.get_secret_value() if t.hook_token else "",
        "E2E_STATE_DIR": str(state), "E2E_ARTIFACTS_DIR": str(state.parent / "artifacts"),
        "E2E_EGRESS_ALLOW": "127.0.0.1", **t.command_env, **extra,
    })
    return env


def start_suite(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pytest", *args, "--browser", "chromium", "-q",
                             "-p", "no:randomly"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_no_secret(box: Sandbox, *outputs: str) -> None:
    for secret in box.secrets():
        for output in outputs:
            assert secret not in output, "a run secret reached the output"


@pytest.mark.parametrize("presses", [1, 2])
@pytest.mark.parametrize("full_trace", [False, True])
def test_ctrl_c_while_the_admin_api_is_slow_leaks_nothing_and_the_next_run_cleans_up(
    sandbox: Sandbox, tmp_path: Path, presses: int, full_trace: bool,
) -> None:
    state = tmp_path / "state"
    with slow_proxy(int(sandbox.target.base_url.rsplit(":", 1)[1])) as proxy:
        # the throwaway user's removal hangs and never lands (the preflight's probe is let through)
        proxy.slow, proxy.delay_s = re.compile(r"^DELETE /api/admin/users/qa"), 8.0
        proxy.drop = True
        base = f"http://127.0.0.1:{proxy.port}"
        # admin API only: on a loaded machine Ctrl-C can land after the 3 s request timeout,
        # and another channel (the sandbox's command) would then remove the user after all
        env = suite_env(sandbox, base, state, E2E_HTTP_TIMEOUT="3", E2E_PROVISION="admin_api")
        run = start_suite(env, ONE_USER_TEST, *(["--full-trace"] if full_trace else []))
        assert proxy.slowed.wait(120), "the run never reached its user cleanup"
        for _ in range(presses):
            run.send_signal(signal.SIGINT)
            time.sleep(1.0)
        out, err = run.communicate(timeout=60)
        # One press: pytest's own exit codes. A second press may land while the first one's
        # report is still printing (on a loaded machine it does), and then the process ends by
        # SIGINT, as Python does for a repeated Ctrl-C; what matters is what follows.
        allowed = (1, 2) if presses == 1 else (1, 2, -signal.SIGINT)
        assert run.returncode in allowed, (run.returncode, out[-2000:], err[-2000:])
        assert_no_secret(sandbox, out, err)
        assert not re.search(r"Bearer (?!\[E2E_ADMIN_TOKEN\])", out + err)
        left = [u for u in sandbox.users() if u != ADMIN]
        proxy.delay_s, proxy.drop = 0.0, False
        nxt = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_login.py::"
                              "test_wrong_password_and_unknown_email_get_the_same_answer",
                              "--browser", "chromium", "-q", "-p", "no:randomly"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert nxt.returncode == 0, nxt.stdout[-2000:]
    assert left, "the interrupted run should have had a user to leave behind"
    assert f"removed {len(left)} user(s) that earlier runs left" in nxt.stdout
    assert sandbox.users() == [ADMIN]


def test_a_run_killed_hard_is_cleaned_by_the_next_run(sandbox: Sandbox, tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = suite_env(sandbox, sandbox.target.base_url, state)
    run = start_suite(env, "e2e/test_concurrency.py::"
                      "test_simultaneous_signins_each_see_only_their_own_identity")
    deadline = time.monotonic() + 120
    while len(sandbox.users()) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    run.kill()  # SIGKILL: no teardown, no hook, nothing
    run.communicate(timeout=30)
    killed = [u for u in sandbox.users() if u != ADMIN]
    assert len(killed) >= 3, killed
    nxt = subprocess.run([sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser", "chromium",
                          "-q", "-p", "no:randomly"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert nxt.returncode == 0, nxt.stdout[-2000:]
    assert sandbox.users() == [ADMIN], "users of the killed run are still on the target"


def test_a_target_that_dies_mid_run_ends_it_with_one_sentence(
    sandbox: Sandbox, tmp_path: Path,
) -> None:
    plugin = tmp_path / "kill_target.py"
    plugin.write_text(
        "import os, signal\n"
        "def pytest_runtest_logfinish(nodeid, location):\n"
        "    if nodeid.endswith('test_session_id_changes_at_signin[chromium]'):\n"
        f"        os.kill({sandbox.target.process.pid if sandbox.target.process else 0}, "
        "signal.SIGKILL)\n")
    env = suite_env(sandbox, sandbox.target.base_url, tmp_path / "state",
                    PYTHONPATH=str(tmp_path))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_login.py",
                           "e2e/test_sessions.py::test_session_id_changes_at_signin",
                           "e2e/test_reset.py", "e2e/test_roles.py", "--browser", "chromium",
                           "-q", "-p", "no:randomly", "-p", "kill_target"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]  # pytest's "interrupted"
    assert "stopped answering during" in output, output[-3000:]
    assert "Call log" not in output
    assert output.count("ECONNREFUSED") < 15, f"{output.count('ECONNREFUSED')} refusals printed"
    assert time.monotonic() - started < 120
    assert_no_secret(sandbox, output)


@pytest.mark.parametrize("crash", [False, True])
def test_secrets_printed_by_warnings_logs_and_a_crashing_hook_are_redacted(
    sandbox: Sandbox, tmp_path: Path, crash: bool,
) -> None:
    """A plugin that does everything wrong with the admin token: logs it, warns with it, and
    (once) crashes pytest's session-finish hook with it in the message."""
    (tmp_path / "leaky.py").write_text(
        "import logging, os, warnings\n"
        "TOKEN = os.environ['E2E_ADMIN_TOKEN']\n"
        "def pytest_runtest_call(item):\n"
        "    logging.getLogger('leaky').warning('calling with %s', TOKEN)\n"
        "    warnings.warn('token is ' + TOKEN)\n"
        "def pytest_sessionfinish(session):\n"
        f"    if {crash}:\n"
        "        raise RuntimeError('boom with ' + TOKEN)\n")
    env = suite_env(sandbox, sandbox.target.base_url, tmp_path / "state", PYTHONPATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser", "chromium",
                           "-q", "-p", "no:randomly", "-p", "leaky", "--log-cli-level=WARNING",
                           "--full-trace", "-rA"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    output = done.stdout + done.stderr
    assert "calling with [E2E_ADMIN_TOKEN]" in output, output[-3000:]
    if crash:  # the crash is still shown, without the secret
        assert "boom with [E2E_ADMIN_TOKEN]" in output, output[-3000:]
    else:
        assert "token is [E2E_ADMIN_TOKEN]" in output, output[-3000:]  # the warnings summary
    assert_no_secret(sandbox, output)


def test_one_hanging_removal_does_not_stop_the_others_and_is_named(
    sandbox: Sandbox, tmp_path: Path,
) -> None:
    """A crowd of users; the removal of one never lands. The others go, the one is named in
    the teardown error (exit 1), and the next run removes it."""
    state = tmp_path / "state"
    with slow_proxy(int(sandbox.target.base_url.rsplit(":", 1)[1])) as proxy:
        proxy.slow = re.compile(r"^DELETE /api/admin/users/qa%2Bcrowd3-")
        proxy.delay_s, proxy.drop = 6.0, True
        # only the API may remove (the command would otherwise step in, as it should)
        env = suite_env(sandbox, f"http://127.0.0.1:{proxy.port}", state, E2E_HTTP_TIMEOUT="3",
                        E2E_PROVISION="admin_api")
        done = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_concurrency.py::"
                               "test_simultaneous_signins_each_see_only_their_own_identity",
                               "--browser", "chromium", "-q", "-p", "no:randomly"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output[-3000:]
        hung = [u for u in sandbox.users() if u != ADMIN]
        assert len(hung) == 1 and hung[0].startswith("qa+crowd3-"), hung
        assert f"throwaway users were not removed: {hung[0]} via admin_api" in output
        made = re.search(r"(\d+) throwaway user\(s\) created .*cleaned: (\d+) deleted via admin_api, "
                         r"1 left", output)
        assert made and int(made.group(2)) == int(made.group(1)) - 1 >= 3, output[-2500:]
        assert_no_secret(sandbox, output)
        proxy.delay_s, proxy.drop = 0.0, False
        nxt = subprocess.run([sys.executable, "-m", "pytest", ONE_USER_TEST, "--browser",
                              "chromium", "-q", "-p", "no:randomly"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert nxt.returncode == 0 and "removed 1 user(s) that earlier runs left" in nxt.stdout
    assert sandbox.users() == [ADMIN]
