"""Inbox against a real MailSink: SMTP in, IMAP (search first, then IDLE) out."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from authprobe.errors import MailConfigError, MailContentError, WaitTimeout
from authprobe.oob.mail import Email, Inbox, run_started
from tests.mailsink_fixture import RunningSink, mail_sink, running_mail_sink

__all__ = ["mail_sink"]  # the fixture, re-exported so pytest finds it here


@pytest.fixture
def inbox(mail_sink: RunningSink) -> Iterator[Inbox]:
    with mail_sink.inbox() as box:
        yield box


def _send_later(sink: RunningSink, delay: float, to: str, subject: str) -> threading.Timer:
    timer = threading.Timer(delay, sink.send, args=(to, subject))
    timer.start()
    return timer


def test_mail_sent_while_waiting_is_returned(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("idle")
    assert inbox.supports_idle
    timer = _send_later(mail_sink, 0.3, to, "Activate your account")
    mail = inbox.wait_for(to=to, subject="activate", timeout=10)
    timer.join()
    assert (mail.to, mail.subject) == (to, "Activate your account")
    assert mail.text.strip() == "hello"


def test_mail_that_arrived_before_waiting_is_found(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("early")
    mail_sink.send(to, "Reset your password")
    started = time.monotonic()
    assert inbox.wait_for(to=to, timeout=5).subject == "Reset your password"
    assert time.monotonic() - started < 1.0, "search-first should not need IDLE"


def test_mail_arriving_between_search_and_idle_is_not_missed(
    mail_sink: RunningSink, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    to = inbox.address("race")
    idle = inbox._box.idle
    start = idle.start

    def send_then_start() -> object:
        mail_sink.send(to, "raced")  # lands after the search, before IDLE is running
        return start()

    monkeypatch.setattr(idle, "start", send_then_start)
    started = time.monotonic()
    assert inbox.wait_for(to=to, timeout=10).subject == "raced"
    assert time.monotonic() - started < 2, "IDLE should report the pending mail at once"


def test_plus_addresses_are_told_apart(mail_sink: RunningSink, inbox: Inbox) -> None:
    alice, bob = inbox.address("alice"), inbox.address("alice")
    assert alice != bob
    mail_sink.send(bob, "for bob")
    mail_sink.send(alice, "for alice")
    assert inbox.wait_for(to=alice, timeout=5).subject == "for alice"
    assert inbox.wait_for(to=bob.upper(), timeout=5).subject == "for bob"


def test_recipient_match_is_exact_not_a_substring(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("exact")
    longer = to.replace("@", "x@")
    mail_sink.send(longer, "not yours")
    with pytest.raises(WaitTimeout):
        inbox.wait_for(to=to, timeout=0.5)
    assert inbox.wait_for(to=longer, timeout=1).subject == "not yours"


def test_subject_mismatch_times_out_naming_what_was_seen(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("subject")
    mail_sink.send(to, "Welcome aboard")
    with pytest.raises(WaitTimeout) as info:
        inbox.wait_for(to=to, subject="Reset your password", timeout=0.5)
    message = str(info.value)
    assert to in message and "Reset your password" in message and "Welcome aboard" in message
    assert inbox.wait_for(to=to, subject="welcome", timeout=1).subject == "Welcome aboard"


def test_consumed_mail_is_deleted(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("consume")
    mail_sink.send(to, "once")
    inbox.wait_for(to=to, timeout=5)
    with pytest.raises(WaitTimeout):
        inbox.wait_for(to=to, timeout=0.3)
    with mail_sink.inbox() as other:  # gone from the server, not only from this session
        other.assert_none(to=to, within=0)


def test_assert_none_passes_on_silence(inbox: Inbox) -> None:
    started = time.monotonic()
    inbox.assert_none(to=inbox.address("silence"), within=0.5)
    assert time.monotonic() - started >= 0.5


def test_assert_none_fails_when_mail_arrives(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("noisy")
    timer = _send_later(mail_sink, 0.2, to, "Unexpected reset")
    with pytest.raises(AssertionError) as info:
        inbox.assert_none(to=to, within=5)
    timer.join()
    assert to in str(info.value) and "Unexpected reset" in str(info.value)
    inbox.wait_for(to=to, timeout=1)  # clean up


def test_poll_fallback_without_idle(
    mail_sink: RunningSink, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "_idle", False)
    monkeypatch.setattr(inbox, "_idle_pause", None)  # would fail loudly if IDLE were used
    to = inbox.address("poll")
    timer = _send_later(mail_sink, 0.3, to, "polled")
    assert inbox.wait_for(to=to, timeout=10).subject == "polled"
    timer.join()


def test_wrong_password_is_one_clear_sentence(mail_sink: RunningSink) -> None:
    wrong = "not-the-password-Zq7"
    started = time.monotonic()
    with pytest.raises(MailConfigError) as info, mail_sink.inbox(password=wrong):
        pass
    assert time.monotonic() - started < 10
    message = str(info.value)
    sink = mail_sink.sink
    assert message == (
        f"IMAP login to {sink.host}:{sink.imap_port} as {sink.imap_user} was refused; "
        "check E2E_IMAP_USER and E2E_IMAP_PASSWORD."
    )
    assert wrong not in message and wrong not in repr(info.value.__context__)


def test_unreachable_server_is_a_config_error(mail_sink: RunningSink) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    expected = f"Cannot reach the IMAP server at 127.0.0.1:{port}; check E2E_IMAP_HOST"
    with pytest.raises(MailConfigError, match=expected), mail_sink.inbox(port=port):
        pass


def test_address_sanitizes_tag_and_is_unique(inbox: Inbox) -> None:
    first, second = inbox.address("Sign Up/Ä!"), inbox.address("Sign Up/Ä!")
    assert first != second
    local, domain = first.split("@")
    assert domain == "sandbox.test"
    assert re.fullmatch(r"qa\+sign-up-[0-9a-f]{6}-r[0-9a-z]+", local), local  # tag, random, run start
    assert run_started(first, "qa@sandbox.test") is not None


def test_links_from_text_only_mail(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("text")
    text = "Activate: https://app.test/activate?token=abc&x=1.\nAgain https://app.test/activate?token=abc&x=1"
    mail_sink.send(to, "t", text=text)
    mail = inbox.wait_for(to=to, timeout=5)
    assert mail.html == ""
    assert mail.links() == ["https://app.test/activate?token=abc&x=1"]


def test_links_from_html_only_mail_are_unescaped(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("html")
    html = (
        '<p><a href="https://app.test/reset/confirm?token=t1&amp;lang=en">Reset</a> '
        '<a href="mailto:help@app.test">help</a> <a href="/relative">x</a></p>'
    )
    mail_sink.send(to, "h", text=None, html=html)
    mail = inbox.wait_for(to=to, timeout=5)
    assert mail.text == ""
    assert mail.links() == ["https://app.test/reset/confirm?token=t1&lang=en"]


def test_links_from_multipart_mail_are_deduplicated_in_order(mail_sink: RunningSink, inbox: Inbox) -> None:
    to = inbox.address("multi")
    text = "Reset: https://app.test/reset/confirm?token=a&b=c\n"
    html = (
        '<a href="https://app.test/reset/confirm?token=a&amp;b=c">Reset</a>'
        '<a href="https://app.test/help">Help</a>'
    )
    mail_sink.send(to, "m", text=text, html=html)
    mail = inbox.wait_for(to=to, timeout=5)
    assert mail.links() == ["https://app.test/reset/confirm?token=a&b=c", "https://app.test/help"]
    assert mail.link(r"/reset/confirm\?token=") == "https://app.test/reset/confirm?token=a&b=c"


def test_link_error_names_pattern_and_links_seen() -> None:
    mail = Email(to="qa+x@t", subject="Hi", text="see https://a.test/one", html="")
    with pytest.raises(MailContentError) as info:
        mail.link(r"/activate\?token=")
    message = str(info.value)
    assert r"/activate\\?token=" in message or r"/activate\?token=" in message
    assert "https://a.test/one" in message


def test_codes_are_standalone_digit_runs() -> None:
    mail = Email(
        to="qa+x@t",
        subject="Your code",
        text="Code 123456, order 1234567, link https://a.test/r?c=654321 and 987654.",
        html="",
    )
    assert mail.codes() == ["123456", "987654"]
    assert mail.codes(digits=7) == ["1234567"]
    html_only = Email(to="qa+x@t", subject="c", text="", html="<p>Your code: <b>246810</b></p>")
    assert html_only.codes() == ["246810"]


def test_server_that_never_greets_fails_fast_instead_of_hanging() -> None:
    with socket.socket() as silent:  # accepts TCP (backlog) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        box = Inbox(
            "127.0.0.1",
            port,
            "qa",
            SecretStr("pw"),
            ssl=False,
            address_base="qa@sandbox.test",
            imap_timeout=0.5,
        )
        started = time.monotonic()
        with pytest.raises(MailConfigError, match="Cannot reach the IMAP server"), box:
            pass
        assert time.monotonic() - started < 3


def test_sink_stops_promptly_while_a_client_idles() -> None:
    outcome: list[BaseException | None] = []

    def idle(inbox: Inbox) -> None:
        try:
            inbox.assert_none(to=inbox.address("idler"), within=5)
            outcome.append(None)
        except Exception as exc:  # the server going away mid-IDLE is the expected end
            outcome.append(exc)

    with running_mail_sink() as sink:
        inbox = sink.inbox().__enter__()
        idler = threading.Thread(target=idle, args=(inbox,))
        idler.start()
        time.sleep(0.2)  # let it enter IDLE
        started = time.monotonic()
    assert time.monotonic() - started < 1
    idler.join(timeout=3)
    assert outcome and isinstance(outcome[0], MailConfigError), outcome
    assert "Lost the connection to the IMAP server" in str(outcome[0])
    inbox.__exit__(None, None, None)


def test_server_that_trickles_its_answer_is_cut_off_at_the_wait_deadline() -> None:
    """A real IMAP conversation up to SELECT, then a SEARCH answer sent one byte a second:
    each read succeeds within the socket timeout, so only a total deadline ends it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        reader = conn.makefile("rb")
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
        while not stop.is_set():
            line = reader.readline()
            if not line:
                return
            tag, _, command = line.decode().strip().partition(" ")
            verb = command.split(" ")[0].upper()
            if verb == "CAPABILITY":
                conn.sendall(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n".encode())
            elif verb in ("LOGIN", "NOOP", "LOGOUT"):
                conn.sendall(f"{tag} OK done\r\n".encode())
            elif verb == "SELECT":
                conn.sendall(f"* 0 EXISTS\r\n{tag} OK [READ-WRITE] done\r\n".encode())
            else:  # the search: trickle forever
                with contextlib.suppress(OSError):
                    for byte in b"* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19":
                        if stop.wait(1.0):
                            return
                        conn.sendall(bytes([byte]))
                return

    threading.Thread(target=serve, daemon=True).start()
    box = Inbox("127.0.0.1", server.getsockname()[1], "qa", SecretStr("pw"), ssl=False,
                address_base="qa@sandbox.test", imap_timeout=2.0)
    try:
        with box:
            started = time.monotonic()
            with pytest.raises(MailConfigError, match="did not finish answering within 2 s at the search"):
                box.wait_for(to="qa+x@sandbox.test", timeout=3.0)
            assert time.monotonic() - started < 8
    finally:
        stop.set()
        server.close()
