"""`python -m sandbox`: ready line, real SMTP→IMAP mail from the app, clean SIGTERM exit."""

from __future__ import annotations

import imaplib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.test_sandbox import PASSWORD, Client

ENV_SECRETS = {
    "SANDBOX_ADMIN_TOKEN": "runner-admin-token-xyz",
    "SANDBOX_HOOK_TOKEN": "runner-hook-token-xyz",
    "SANDBOX_IMAP_PASSWORD": "runner-imap-password-xyz",
}


def _read_ready_line(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout), f"no ready line within {timeout}s"
    line = proc.stdout.readline()
    data = json.loads(line)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def running() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "authprobe.sandbox", "--test-mode", "--port", "0", "--smtp-port", "0",
         "--imap-port", "0", "--defect", "session_fixation"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **ENV_SECRETS},
    )
    try:
        yield proc, _read_ready_line(proc, timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_runner_prints_ready_line_delivers_mail_and_stops_on_signal(
    running: tuple[subprocess.Popen[str], dict[str, Any]], stop_signal: signal.Signals,
) -> None:
    proc, ready = running
    assert ready["ready"] is True and ready["test_mode"] is True
    assert ready["defects"] == ["session_fixation"]
    assert ready["imap_user"] == ready["mail_address"] == "qa@sandbox.test"

    port = int(ready["base_url"].rsplit(":", 1)[1])
    email = "qa+runner@sandbox.test"
    resp = Client(port).submit("/signup", email=email, password=PASSWORD)
    assert resp.page_id == "signup-done"
    with imaplib.IMAP4(ready["imap_host"], ready["imap_port"]) as imap:
        imap.login(ready["imap_user"], ENV_SECRETS["SANDBOX_IMAP_PASSWORD"])
        imap.select("INBOX")
        _, found = imap.search(None, "TO", f'"{email}"')
        assert found[0].split(), "activation mail did not reach the IMAP inbox"

    started = time.monotonic()
    proc.send_signal(stop_signal)
    assert proc.wait(timeout=5) == 0
    assert time.monotonic() - started < 3
    out, err = proc.communicate()
    for value in ENV_SECRETS.values():
        assert value not in out + err, "a secret given by env was printed"


def test_runner_rejects_unknown_defects_in_one_sentence() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "authprobe.sandbox", "--defect", "nope"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Unknown defect nope; known defects are: ")
    assert "session_fixation" in result.stderr
