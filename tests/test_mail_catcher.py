"""CatcherInbox against the real MailDev: SMTP in, REST API (and its socket.io push) out."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from authprobe.errors import MailCatcherError, WaitTimeout
from authprobe.oob.catcher import CatcherInbox
from authprobe.oob.mail import Email, MailSource, run_started
from authprobe.sandbox.maildev import RunningMailDev, running_maildev

BASE = "qa@catcher.test"
CODE_PATTERN = r"([A-Z0-9]{4})[- ]([A-Z0-9]{4})"


@pytest.fixture(scope="module")
def maildev() -> Iterator[RunningMailDev]:
    with running_maildev() as started:
        yield started


@pytest.fixture
def inbox(maildev: RunningMailDev) -> Iterator[CatcherInbox]:
    with CatcherInbox(maildev.api_url, address_base=BASE, user=maildev.user,
                      password=SecretStr(maildev.password), http_timeout=3) as box:
        yield box


def send(maildev: RunningMailDev, to: str, subject: str, body: str = "hello", *,
         bcc: bool = False) -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "app@sandbox.test", subject
    msg["To"] = "undisclosed@catcher.test" if bcc else to
    msg.set_content(body)
    with smtplib.SMTP(maildev.host, maildev.smtp_port, timeout=5) as smtp:
        smtp.send_message(msg, to_addrs=[to])


def test_the_catcher_inbox_is_a_mail_source(inbox: CatcherInbox) -> None:
    source: MailSource = inbox  # mypy proves the contract; this proves the push channel opened
    assert source.supports_idle and inbox.smtp_port is not None


def test_mail_sent_while_waiting_is_pushed_not_polled(maildev: RunningMailDev, inbox: CatcherInbox) -> None:
    to = inbox.address("pushed")
    threading.Timer(0.3, send, (maildev, to, "Activate your account")).start()
    started = time.monotonic()
    mail = inbox.wait_for(to=to, subject="activate", timeout=5)
    assert mail.to == to and mail.subject == "Activate your account" and "hello" in mail.text
    assert time.monotonic() - started < 0.9  # the push woke the waiter before its 1 s slice


def test_mail_that_arrived_first_is_found_and_consumed(maildev: RunningMailDev, inbox: CatcherInbox) -> None:
    to = inbox.address("early")
    send(maildev, to, "Reset your password", "https://app.test/reset/confirm?token=abc")
    mail = inbox.wait_for(to=to, subject="reset", timeout=5)
    assert mail.link(r"/reset/confirm\?token=") == "https://app.test/reset/confirm?token=abc"
    inbox.assert_none(to=to, within=0.3)  # consumed: deleted from MailDev


def test_plus_addresses_are_told_apart_and_bcc_is_matched(
    maildev: RunningMailDev, inbox: CatcherInbox
) -> None:
    first, second = inbox.address("same tag"), inbox.address("same tag")
    assert first != second and run_started(first, BASE) is not None
    send(maildev, second, "for the second", bcc=True)
    send(maildev, first, "for the first")
    assert inbox.wait_for(to=first, timeout=5).subject == "for the first"
    assert inbox.wait_for(to=second, timeout=5).subject == "for the second"


def test_subject_mismatch_times_out_naming_what_was_seen(
    maildev: RunningMailDev, inbox: CatcherInbox
) -> None:
    to = inbox.address("subject")
    send(maildev, to, "Welcome")
    with pytest.raises(WaitTimeout, match=r"subjects \['Welcome'\]"):
        inbox.wait_for(to=to, subject="Reset", timeout=0.5)


def test_assert_none_fails_when_mail_arrives(maildev: RunningMailDev, inbox: CatcherInbox) -> None:
    to = inbox.address("none")
    inbox.assert_none(to=to, within=0.3)
    threading.Timer(0.2, send, (maildev, to, "surprise")).start()
    with pytest.raises(AssertionError, match="surprise"):
        inbox.assert_none(to=to, within=3)


def test_wrong_login_is_one_sentence(maildev: RunningMailDev) -> None:
    box = CatcherInbox(maildev.api_url, address_base=BASE, user=maildev.user,
                       password=SecretStr("wrong"), http_timeout=3)
    with pytest.raises(MailCatcherError, match="refused the login.*E2E_MAIL_API_PASSWORD") as caught, box:
        pass
    assert "wrong" not in str(caught.value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_catcher_url_that_does_not_answer_is_one_sentence_within_the_deadline() -> None:
    nothing = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(MailCatcherError, match="Cannot reach the mail catcher.*E2E_MAIL_API_URL"), \
            CatcherInbox(nothing, address_base=BASE, http_timeout=1):
        pass
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(MailCatcherError, match=r"did not answer GET /config within 1 s"), \
                CatcherInbox(f"http://127.0.0.1:{silent.getsockname()[1]}", address_base=BASE,
                             http_timeout=1):
            pass
        assert time.monotonic() - started < 2.5


class _NotMailDev(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"status": "ok"}' if self.path == "/config" else b"<html>hello</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_api_that_answers_but_is_not_maildev_is_one_sentence() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotMailDev)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(MailCatcherError, match="answers, but not as MailDev"), \
                CatcherInbox(f"http://127.0.0.1:{server.server_port}", address_base=BASE, http_timeout=2):
            pass
    finally:
        server.shutdown()
        server.server_close()


def test_alphanumeric_codes_split_by_a_dash_or_space(maildev: RunningMailDev, inbox: CatcherInbox) -> None:
    to = inbox.address("code")
    send(maildev, to, "Your code", "Your code is K7QD-92XF (or type K7QD 92XF). "
                                   "Not https://app.test/c/ABCD-1234 nor 123456.")
    mail = inbox.wait_for(to=to, timeout=5)
    assert mail.codes(pattern=CODE_PATTERN) == ["K7QD92XF"]
    assert mail.codes(pattern=r"[A-Z0-9]{4}-[A-Z0-9]{4}") == ["K7QD-92XF"]
    assert mail.codes() == ["123456"]  # the six-digit default is unchanged


def test_codes_pattern_needs_a_whole_word() -> None:
    mail = Email(to=BASE, subject="s", text="PASSWORD-RESET XK7QD-92XF 9A2B-C3D4", html="")
    assert mail.codes(pattern=CODE_PATTERN) == ["9A2BC3D4"]
