"""Sign-in limits: the sandbox's rate limit and per-account lockout, the run's shared sign-in
pacer (two processes, one budget), and a run whose profile states no limit ending as an
environment verdict (exit 3, one sentence), never as a finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from authprobe import pacing
from authprobe.pacing import Budget, SigninPacer
from tests.test_sandbox import Client, Server, make_server, sms, smtp  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


# -- the sandbox ------------------------------------------------------------------------------

def test_the_sandbox_answers_429_past_its_sign_in_rate_per_address(
    make_server: Callable[..., Server],  # noqa: F811
) -> None:
    s = make_server(signin_rate=3)
    user = s.user()
    here, there = Client(s.port), Client(s.port, source="127.77.0.21")
    statuses = [s.login(user, here, password=pw)[1].status
                for pw in (user.password, user.password + "x", user.password)]
    assert statuses == [303, 400, 303]  # right or wrong, each counts
    throttled = s.login(user, here)[1]
    assert throttled.status == 429 and "Too many requests" in throttled.text
    assert s.login(user, there)[1].status == 303  # another address has its own allowance


def test_the_account_lockout_shape_locks_the_account_for_every_address_only(
    make_server: Callable[..., Server],  # noqa: F811
) -> None:
    s = make_server(shapes=frozenset({"account_lockout"}), signin_limit_attempts=50)
    user, other = s.user(), s.user()
    noisy = Client(s.port, source="127.77.0.22")
    for _ in range(5):
        assert s.login(user, noisy, password=user.password + " typo")[1].status == 400
    locked = s.login(user, Client(s.port, source="127.77.0.23"))[1]
    assert locked.status == 403 and "Too many attempts" in locked.text
    assert s.login(other, noisy)[1].status == 303  # the address itself is not blocked


def test_without_the_shape_wrong_passwords_lock_no_account(
    make_server: Callable[..., Server],  # noqa: F811
) -> None:
    s = make_server()
    user = s.user()
    noisy = Client(s.port, source="127.77.0.24")
    for _ in range(5):
        s.login(user, noisy, password=user.password + " typo")
    assert s.login(user, Client(s.port, source="127.77.0.25"))[1].status == 303


# -- the pacer --------------------------------------------------------------------------------

PACE = """
import json, sys, time
from pathlib import Path
from authprobe.pacing import Budget, SigninPacer
pacer = SigninPacer(Path(sys.argv[1]), "http://target", Budget(3, None, float(sys.argv[2])))
stamps = []
for _ in range(3):
    pacer.before_sign_in("127.0.0.1", None)
    stamps.append(time.time())
print(json.dumps(stamps))
"""


def _most_in_any_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps if start <= t < start + window) for start in stamps)


def test_two_processes_share_one_sign_in_budget(tmp_path: Path) -> None:
    """Each process alone is under 3 per window; together they would make 6 at once."""
    window = 1.5
    runs = [subprocess.Popen([sys.executable, "-c", PACE, str(tmp_path / "sign-ins.json"), str(window)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    stamps = [t for run in runs for t in json.loads(run.communicate(timeout=30)[0])]
    assert len(stamps) == 6
    assert _most_in_any_window(stamps, window * 0.95) <= 3, (
        f"6 sign-ins of two processes with a shared budget of 3 per {window} s: {stamps}")
    assert max(stamps) - min(stamps) >= window * 0.9


def test_addresses_and_unlimited_budgets_never_wait(tmp_path: Path) -> None:
    naps: list[float] = []
    pacer = SigninPacer(tmp_path / "s.json", "http://target", Budget(2, None, 60), sleep=naps.append)
    for address in ("127.0.0.1", "127.0.0.1", "127.77.0.1", "127.77.0.2"):
        assert pacer.before_sign_in(address, "a@example.test") == 0
    assert naps == []
    counting = SigninPacer(tmp_path / "c.json", "http://target", None, sleep=naps.append)
    for _ in range(40):
        counting.before_sign_in("127.0.0.1", None)
    assert naps == [] and counting.recent("127.0.0.1") == 40


def test_a_full_budget_waits_for_its_oldest_sign_in_to_leave_the_window(tmp_path: Path) -> None:
    now = [1000.0]
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        now[0] += seconds

    pacer = SigninPacer(tmp_path / "s.json", "http://t", Budget(None, 2, 10), clock=lambda: now[0],
                        sleep=sleep)
    pacer.before_sign_in("127.0.0.1", "a@example.test")
    now[0] += 4
    pacer.before_sign_in("127.77.0.1", "A@example.test")  # the account counts from any address
    assert pacer.before_sign_in("127.77.0.2", "a@example.test") == pytest.approx(6 + 1, abs=0.05)
    assert pacer.recent("127.77.0.2") == 1
    assert naps and not json.dumps(json.loads((tmp_path / "s.json").read_text())).count("example")


def test_the_throttle_sentence_names_the_count_and_the_stated_limit(tmp_path: Path) -> None:
    stated = SigninPacer(tmp_path / "a.json", "http://t", Budget(30, None, 60))
    unstated = SigninPacer(tmp_path / "b.json", "http://t", None)
    for pacer in (stated, unstated):
        pacer.before_sign_in("127.0.0.1", None)
    assert str(stated.throttled("127.0.0.1", "HTTP 429")) == (
        "The target rate-limited the run (HTTP 429): 1 sign-ins in 60 s from 127.0.0.1; its stated "
        "limit is 30/60 s per address ([policy] signin_rate): lower it to what the target enforces.")
    assert "states no limit: set [policy] signin_rate" in str(unstated.throttled("127.0.0.1", "x"))
    class Context:  # a browser context no device opened
        pass

    pacing.install(None)  # another test of this process may have installed one
    assert pacing.address_of(Context()) == pacing.THIS_MACHINE


# -- a run against a throttling target --------------------------------------------------------

@pytest.mark.whole_runs
def test_a_profile_without_its_limits_reports_the_throttle_as_an_environment_failure(
    tmp_path: Path,
) -> None:
    """The limits shape with a rate of 2 sign-ins a minute and no [policy] signin_rate: the
    third sign-in of the run is throttled, and the run ends with exit 3 and one sentence."""
    profile = tmp_path / "limits-unstated.toml"
    profile.write_text(
        f'extends = "{ROOT / "targets/sandbox.toml"}"\nname = "limits_unstated"\n'
        '[launch]\nargs = ["--signin-rate", "2", "--shape", "account_lockout"]\n')
    env = {**os.environ, "E2E_TARGET": str(profile), "E2E_KEEP_ARTIFACTS": "never",
           "E2E_STATE_DIR": str(tmp_path / "state"), "E2E_ARTIFACTS_DIR": str(tmp_path / "artifacts")}
    env.pop("E2E_BASE_URL", None)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e/test_login.py", "e2e/test_sessions.py", "-p", "no:randomly",
         "-p", "no:cacheprovider", "-q", "--browser", "chromium", "-x", "-n", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 3, out[-3000:]
    assert "The target rate-limited the run (HTTP 429 at " in out, out[-3000:]
    assert "sign-ins in 60 s from 127.0.0.1; the profile states no limit: set [policy] signin_rate" in out
    assert "AuthMismatch" not in out and "FlowError" not in out
    assert time.monotonic() - started < 60
