"""`authprobe sweep`: users a run had to leave are removed later, and only those."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.oob.mail import Inbox, _base36, run_started
from authprobe.provisioning.sweep import RunJournal, dead_runs
from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Path]]:
    db = tmp_path_factory.mktemp("sweep") / "app.sqlite3"
    target = start_sandbox(Settings(_env_file=None), ["--db", str(db)])  # type: ignore[call-arg]
    yield target, db
    target.stop()


def _admin(db: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "authprobe.sandbox.admin", "--db", str(db), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SANDBOX_NEW_PASSWORD": password})


def _sweep(target: Target, state: Path, *args: str, token: bool = True,
           mail: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env.update({"E2E_BASE_URL": target.base_url, "E2E_STATE_DIR": str(state),
                "E2E_PROVISION": "admin_api", "E2E_MAIL_ADDRESS": mail})
    if token and target.admin_token is not None:
        env["E2E_ADMIN_TOKEN"] = target.admin_token.get_secret_value()
    return subprocess.run([sys.executable, "-m", "authprobe.cli", "sweep", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def _pending(state: Path, base_url: str) -> list[str]:
    return [email for run in dead_runs(state) if run.base_url == base_url for email in run.pending]


def test_sweep_removes_the_recorded_users_and_keeps_the_others(
    sandbox: tuple[Target, Path], tmp_path: Path,
) -> None:
    target, db = sandbox
    left, bystander = f"qa+left-{secrets.token_hex(3)}@sandbox.test", "qa+keep@sandbox.test"
    for email in (left, bystander):
        assert _admin(db, "create", email, password="pw-" + secrets.token_urlsafe(12)).returncode == 0
    state = tmp_path / "state"
    for base_url, email in ((target.base_url, left), ("https://elsewhere.example.test",
                                                      "qa+far@example.test")):
        journal = RunJournal(state, "sandbox", base_url)
        journal.creating(email)
        journal.close()  # the run ended without cleaning it

    without_token = _sweep(target, state, token=False)
    assert without_token.returncode == 1, without_token.stdout + without_token.stderr
    assert "E2E_ADMIN_TOKEN is not set" in without_token.stdout
    assert _pending(state, target.base_url) == [left]

    done = _sweep(target, state)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{left}: deleted via admin_api" in done.stdout
    users = [json.loads(line)["email"] for line in _admin(db, "list").stdout.splitlines()]
    assert left not in users and bystander in users
    assert _pending(state, target.base_url) == []
    assert _pending(state, "https://elsewhere.example.test") == ["qa+far@example.test"]


def test_two_sweeps_at_once_remove_each_left_user_once(
    sandbox: tuple[Target, Path], tmp_path: Path,
) -> None:
    """What xdist workers do when they start together after a killed run: one recovers it."""
    target, db = sandbox
    left = [f"qa+twice{n}-{secrets.token_hex(3)}@sandbox.test" for n in range(6)]
    for email in left:
        assert _admin(db, "create", email, password="pw-" + secrets.token_urlsafe(12)).returncode == 0
    state = tmp_path / "state"
    journal = RunJournal(state, "sandbox", target.base_url)
    for email in left:
        journal.creating(email)
    journal.close()

    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    assert target.admin_token is not None
    env.update({"E2E_BASE_URL": target.base_url, "E2E_STATE_DIR": str(state),
                "E2E_PROVISION": "admin_api", "E2E_ADMIN_TOKEN": target.admin_token.get_secret_value()})
    sweeps = [subprocess.Popen([sys.executable, "-m", "authprobe.cli", "sweep"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
              for _ in range(2)]
    said = "".join(sweep.communicate(timeout=120)[0] for sweep in sweeps)
    assert all(sweep.returncode == 0 for sweep in sweeps), said
    for email in left:
        assert said.count(f"{email}: ") == 1, said
    users = [json.loads(line)["email"] for line in _admin(db, "list").stdout.splitlines()]
    assert not set(left) & set(users)
    assert _pending(state, target.base_url) == []


def test_sweep_without_a_base_url_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env["E2E_STATE_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "authprobe.cli", "sweep"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(
        "authprobe: authprobe sweep works on a running target: set E2E_BASE_URL")
    assert "Traceback" not in done.stderr


def _marked(stamp_s: float, tag: str) -> str:
    return f"qa+{tag}-{secrets.token_hex(3)}-r{_base36(int(stamp_s))}@sandbox.test"


def test_addresses_carry_the_run_start_and_only_ours_parse() -> None:
    email = Inbox("h", 1, "u", SecretStr("p"), ssl=False, address_base="qa@sandbox.test").address("x")
    started = run_started(email, "qa@sandbox.test")
    assert started is not None and abs(started - time.time()) < 3600
    assert run_started("qa+x-abcdef@sandbox.test", "qa@sandbox.test") is None  # no marker
    assert run_started(email, "qa@other.test") is None  # another mailbox's
    assert run_started(email.replace("qa+", "boss+"), "qa@sandbox.test") is None


def test_sweep_by_listing_removes_only_stale_marked_users(
    sandbox: tuple[Target, Path], tmp_path: Path,
) -> None:
    target, db = sandbox
    old = _marked(time.time() - 7 * 3600, "killed")
    recent = _marked(time.time() - 60, "running")
    stranger = "qa+someone-elses@sandbox.test"
    for email in (old, recent, stranger):
        assert _admin(db, "create", email, password="pw-" + secrets.token_urlsafe(12)).returncode == 0
    done = _sweep(target, tmp_path / "state", mail="qa@sandbox.test")
    assert done.returncode == 0, done.stdout + done.stderr
    users = [json.loads(line)["email"] for line in _admin(db, "list").stdout.splitlines()]
    assert old not in users, "a user of a run older than the grace period was kept"
    assert recent in users and stranger in users, "sweep touched a user that is not a leftover"
