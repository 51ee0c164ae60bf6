"""Bad configuration ends the e2e run within seconds with one sentence naming the setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mailsink_fixture import RunningSink, mail_sink  # noqa: F401 (fixture)
from tests.webserver import serve

ROOT = Path(__file__).resolve().parent.parent
SESSION_JSON = '{"authenticated": false, "mfa_pending": false, "user": null}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_suite(env: dict[str, str]) -> tuple[int, str, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e/test_login.py", "--browser", "chromium", "-q"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def assert_one_clear_sentence(code: int, output: str, seconds: float, *fragments: str) -> None:
    assert code != 0, output
    assert seconds < 10, f"took {seconds:.1f} s to fail"
    assert "Traceback" not in output, output
    line = next((ln for ln in output.splitlines() if "authprobe:" in ln), "")
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}\n{output}"


def mailbox_env(sink: RunningSink, password: str) -> dict[str, str]:
    return {
        "E2E_IMAP_HOST": "127.0.0.1", "E2E_IMAP_PORT": str(sink.sink.imap_port),
        "E2E_IMAP_USER": sink.sink.imap_user, "E2E_IMAP_PASSWORD": password,
        "E2E_IMAP_SSL": "false", "E2E_MAIL_ADDRESS": "qa@sandbox.test",
    }


def test_unreachable_base_url_names_the_setting(mail_sink: RunningSink) -> None:  # noqa: F811
    env = {"E2E_BASE_URL": f"http://127.0.0.1:{free_port()}",
           **mailbox_env(mail_sink, mail_sink.sink.imap_password)}
    assert_one_clear_sentence(*run_suite(env), "Cannot reach the target", "E2E_BASE_URL")


def test_session_endpoint_answering_html_names_the_profile_setting(
    mail_sink: RunningSink,  # noqa: F811
) -> None:
    with serve({"/api/session": (200, "text/html", "<html>login</html>")}) as base_url:
        env = {"E2E_BASE_URL": base_url, **mailbox_env(mail_sink, mail_sink.sink.imap_password)}
        assert_one_clear_sentence(*run_suite(env), "not JSON", "session_probe.url")


def test_wrong_imap_password_names_the_settings_and_hides_the_value(
    mail_sink: RunningSink,  # noqa: F811
) -> None:
    wrong = "definitely-wrong-password-4711"
    with serve({"/api/session": (200, "application/json", SESSION_JSON)}) as base_url:
        code, output, seconds = run_suite({"E2E_BASE_URL": base_url, **mailbox_env(mail_sink, wrong)})
    assert_one_clear_sentence(code, output, seconds, "E2E_IMAP_PASSWORD", "refused")
    assert wrong not in output


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("E2E_TARGET", "nonexistent", "set E2E_TARGET to one of"),
    ("E2E_BASE_URL", "staging.example.com", "E2E_BASE_URL"),
])
def test_bad_settings_stop_before_any_browser(name: str, value: str, fragment: str) -> None:
    assert_one_clear_sentence(*run_suite({name: value}), fragment)
