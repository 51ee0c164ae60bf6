"""Bad configuration ends the e2e run within seconds with one sentence naming the setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox
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


def test_session_endpoint_that_trickles_its_body_is_cut_off(mail_sink: RunningSink) -> None:  # noqa: F811
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 200\r\n\r\n{")
            while not stop.wait(2):
                try:
                    conn.sendall(b" ")
                except OSError:
                    break
            conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    try:
        env = {"E2E_BASE_URL": f"http://127.0.0.1:{server.getsockname()[1]}",
               "E2E_HTTP_TIMEOUT": "3", **mailbox_env(mail_sink, mail_sink.sink.imap_password)}
        assert_one_clear_sentence(*run_suite(env), "session endpoint is too slow",
                                  "not the rest of its answer within 3 s")
    finally:
        stop.set()
        server.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = start_sandbox(Settings(_env_file=None))  # type: ignore[call-arg]
    yield target
    target.stop()


def sandbox_env(target: Target, **overrides: str) -> dict[str, str]:
    assert target.admin_token and target.hook_token
    return {"E2E_BASE_URL": target.base_url, "E2E_IMAP_HOST": target.imap_host,
            "E2E_IMAP_PORT": str(target.imap_port), "E2E_IMAP_USER": target.imap_user,
            "E2E_IMAP_SSL": "false", "E2E_MAIL_ADDRESS": target.mail_address,
            "E2E_IMAP_PASSWORD": target.imap_password.get_secret_value(),
            "E2E_ADMIN_TOKEN": target.admin_token.get_secret_value(),
            "E2E_HOOK_TOKEN": target.hook_token.get_secret_value(), **overrides}


@pytest.mark.parametrize("setting", ["E2E_ADMIN_TOKEN", "E2E_HOOK_TOKEN"])
def test_a_wrong_token_stops_the_run_in_the_preflight(sandbox: Target, setting: str) -> None:
    wrong = "wrong-token-" + "x" * 24
    code, output, seconds = run_suite(sandbox_env(sandbox, **{setting: wrong}))
    assert_one_clear_sentence(code, output, seconds, f"{setting} was refused by the target")
    assert wrong not in output


def test_browser_path_that_is_not_executable_is_named(sandbox: Target, tmp_path: Path) -> None:
    not_a_program = tmp_path / "chrome"
    not_a_program.write_text("#!/bin/sh\n")
    code, output, seconds = run_suite(sandbox_env(sandbox, E2E_BROWSER_PATH=str(not_a_program)))
    assert_one_clear_sentence(code, output, seconds, "is not an executable file")


@pytest.mark.parametrize(("edit", "fragment"), [
    (('url = "/api/session"', 'url = "api/session"'), "session_probe.url: String should match"),
    (("# [locators.login]\n# email_field", "[locators.logni]\nemail_field"),
     "[locators.logni] is not a screen authprobe knows (did you mean 'login'?)"),
    (("[locators.login]\nsso_button", '[locators.login]\nemial_field = { label = "Email" }\nsso_button'),
     "[locators.login] emial_field is not an element of that screen (did you mean 'email_field'?)"),
])
def test_profile_mistakes_are_named_before_anything_starts(
    tmp_path: Path, edit: tuple[str, str], fragment: str,
) -> None:
    text = (ROOT / "targets" / "sandbox.toml").read_text()
    assert edit[0] in text
    profile = tmp_path / "typo.toml"
    profile.write_text(text.replace(edit[0], edit[1]))
    assert_one_clear_sentence(*run_suite({"E2E_TARGET": str(profile)}), fragment)


def test_bad_configuration_under_xdist_is_the_same_one_sentence_with_exit_3(tmp_path: Path) -> None:
    """pytest.exit inside an xdist worker crashed it: the controller printed an INTERNALERROR
    naming the test, and the sentence was lost (exit 1 after 60 lines)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env = {**clean, "E2E_BASE_URL": f"http://127.0.0.1:{free_port()}", "E2E_IMAP_HOST": "127.0.0.1",
           "E2E_STATE_DIR": str(tmp_path / "state")}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "e2e/test_login.py", "--browser", "chromium",
                           "-q", "-n", "2", "-p", "no:randomly"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert "authprobe: E2E_BASE_URL is set, so the mailbox must be configured too" in output, output
    assert time.monotonic() - started < 30
