"""`authprobe doctor` against a real sandbox: green when all is well, one ✗ per broken setting.

Each failing case breaks exactly one thing and expects that check, and only that one, to
fail with the fix named; the whole doctor stays under 15 s even when hosts never answer.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import sms_env_for, started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Doctor:
    code: int
    out: str
    seconds: float

    def failed(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("✗")]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox()
    yield target
    target.stop()


def doctor(target: Target, tmp: Path, *args: str, **env: str) -> Doctor:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "authprobe.cli", "doctor", *args], cwd=ROOT,
                          env={**suite_env_for(target, tmp), **env}, capture_output=True, text=True,
                          timeout=60)
    return Doctor(done.returncode, done.stdout + done.stderr, time.monotonic() - started)


def profile_with(tmp: Path, body: str) -> str:
    path = tmp / "mine.toml"
    path.write_text(f'extends = "{ROOT / "targets" / "sandbox.toml"}"\nname = "mine"\n{body}')
    return str(path)


@pytest.fixture
def silent_host() -> Iterator[int]:
    """A port that accepts connections and never says a word (a firewall's black hole)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_working_configuration_is_all_green(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path)
    assert run.code == 0, run.out
    assert run.failed() == []
    for check in ("settings", "profile", "target", "session endpoint", "IMAP", "browser",
                  "admin token", "hook token", "page login", "page signup"):
        assert f"✓ {check}:" in run.out, f"{check} not checked:\n{run.out}"
    assert "IDLE supported" in run.out and "checks fine" in run.out
    assert "· SMS gateway: E2E_SMS_ACCOUNT_SID and E2E_SMS_AUTH_TOKEN are not both set" in run.out


def test_the_sms_gateway_is_checked_with_its_account_and_skipped_without_one(
        sandbox: Target, tmp_path: Path) -> None:
    sms = sms_env_for(sandbox)
    fine = doctor(sandbox, tmp_path, **sms)
    assert f"✓ SMS gateway: {sandbox.sms_api_url} takes account {sandbox.sms_account_sid}" in fine.out
    wrong = "wrong-" + secrets.token_hex(8)
    refused = doctor(sandbox, tmp_path, **{**sms, "E2E_SMS_AUTH_TOKEN": wrong})
    [line] = refused.failed()
    assert line.startswith("✗ SMS gateway:") and "E2E_SMS_AUTH_TOKEN" in line
    assert wrong not in refused.out and sms["E2E_SMS_AUTH_TOKEN"] not in fine.out


def test_every_bad_setting_is_listed_at_once(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path, E2E_IMAP_PORT="0", E2E_HTTP_TIMEOUT="-1")
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ settings:") and "E2E_IMAP_PORT" in line and "E2E_HTTP_TIMEOUT" in line


def test_an_unknown_profile(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path, E2E_TARGET="no_such_app")
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ profile:") and "no_such_app" in line


def test_an_unreachable_target_is_named_within_seconds(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path, "--base-url", "http://127.0.0.9:9", E2E_BASE_URL="")
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ target:") and "http://127.0.0.9:9" in line
    assert run.seconds < 15


def test_a_session_endpoint_that_answers_html(sandbox: Target, tmp_path: Path) -> None:
    mine = profile_with(tmp_path, '[session_probe]\nurl = "/login"\n')
    run = doctor(sandbox, tmp_path, E2E_TARGET=mine)
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ session endpoint:") and "/login" in line


def test_a_refused_imap_login(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path, E2E_IMAP_PASSWORD="wrong-" + secrets.token_hex(8))
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ IMAP:") and "E2E_IMAP_PASSWORD" in line


def test_an_imap_host_that_never_answers_costs_seconds_not_a_hang(
    sandbox: Target, tmp_path: Path, silent_host: int
) -> None:
    run = doctor(sandbox, tmp_path, E2E_IMAP_PORT=str(silent_host))
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ IMAP:")
    assert run.seconds < 15, f"doctor took {run.seconds:.1f} s"


def test_a_browser_path_that_is_no_browser(sandbox: Target, tmp_path: Path) -> None:
    run = doctor(sandbox, tmp_path, E2E_BROWSER_PATH=str(tmp_path / "no-chrome"))
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ browser:") and "E2E_BROWSER_PATH" in line


@pytest.mark.parametrize("setting", ["E2E_ADMIN_TOKEN", "E2E_HOOK_TOKEN"])
def test_a_token_the_target_refuses(sandbox: Target, tmp_path: Path, setting: str) -> None:
    run = doctor(sandbox, tmp_path, **{setting: "wrong-" + secrets.token_hex(12)})
    assert run.code == 1
    [line] = run.failed()
    assert setting in line and "refused" in line
    assert line.startswith("✗ admin token:" if "ADMIN" in setting else "✗ hook token:")


def test_a_page_that_is_not_there(sandbox: Target, tmp_path: Path) -> None:
    mine = profile_with(tmp_path, '[paths]\nsignup = "/no-such-page"\n')
    run = doctor(sandbox, tmp_path, E2E_TARGET=mine)
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ page signup:") and "404" in line and "[paths] signup" in line


def test_no_secret_is_printed(sandbox: Target, tmp_path: Path) -> None:
    wrong = "wrong-" + secrets.token_hex(12)
    run = doctor(sandbox, tmp_path, E2E_ADMIN_TOKEN=wrong)
    assert wrong not in run.out
    for secret in (sandbox.hook_token, sandbox.imap_password):
        assert secret is not None and secret.get_secret_value() not in run.out


def test_a_roles_endpoint_that_is_not_there(sandbox: Target, tmp_path: Path) -> None:
    mine = profile_with(tmp_path, '[session_probe]\nroles_url = "/api/no-roles"\n')
    run = doctor(sandbox, tmp_path, E2E_TARGET=mine)
    assert run.code == 1
    [line] = run.failed()
    assert line.startswith("✗ roles endpoint:") and "/api/no-roles" in line


def test_hooks_that_answer_without_a_token_are_a_warning_and_hidden_ones_are_fine(
    sandbox: Target,
) -> None:
    """The check itself (the doctor runs it for targets not on this machine): the sandbox's
    hooks answer a GET with 405 from here; a hook path nobody serves is 404."""
    from authprobe.cli.doctor_checks import OK, WARN, hook_exposure
    from authprobe.profile import HttpOperation, load_profile

    profile = load_profile("sandbox")
    warned = hook_exposure(sandbox, profile, 5.0)
    assert warned.mark == WARN and "rotate_keys (405)" in warned.said, warned.line()
    hidden = profile.model_copy(update={"hooks": profile.hooks.model_copy(update={
        "backdate_sessions": HttpOperation(method="POST", path="/__nowhere__/backdate"),
        "backdate_tokens": None, "rotate_keys": None, "retire_keys": None})})
    assert hook_exposure(sandbox, hidden, 5.0).mark == OK
