"""How long from SMTP accept to ``wait_for`` returning: IMAP over a real MailSink, and a mail
catcher's HTTP API over the real MailDev (``CatcherInbox``).

IMAP, three cases: the waiter already sits in IMAP IDLE when the mail is sent (the usual e2e
case); the same with IDLE turned off, so the inbox polls every second (servers without IDLE);
and the mail is already there when ``wait_for`` starts (search first). MailDev, the same three:
the waiter sits on MailDev's socket.io push, the push turned off (REST polled every 0.25 s),
and search first. p50/p95 in ms over 50 messages each (goal: IDLE and push p95 ≤ 50 ms).
MailDev's cases are skipped, with the reason, where it is not installed (bin/setup).

    .venv/bin/python -m bench.mail_latency
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from pydantic import SecretStr

from authprobe.errors import SandboxError
from authprobe.oob import mail as mail_module
from authprobe.oob.catcher import CatcherInbox
from authprobe.oob.mail import Inbox
from authprobe.sandbox.maildev import RunningMailDev, running_maildev
from authprobe.sandbox.mailsink_thread import ADDRESS_BASE, SinkInThread, running_mail_sink

ROUNDS = 50


class _SignallingInbox(Inbox):
    """Sets ``in_idle`` once the server acknowledged IDLE, so the sender starts after it."""

    in_idle = threading.Event()

    def _idle_pause(self, seconds: float) -> None:
        idle = self._box.idle
        start = idle.start

        def start_and_signal() -> object:
            result = start()
            self.in_idle.set()
            return result

        idle.start = start_and_signal  # type: ignore[method-assign]
        try:
            super()._idle_pause(seconds)
        finally:
            del idle.start


def _idle_round(sink: SinkInThread, inbox: _SignallingInbox, n: int) -> float:
    to = inbox.address(f"idle-{n}")
    accepted: list[float] = []

    def send() -> None:
        inbox.in_idle.wait(timeout=10)
        sink.send(to, f"idle {n}")
        accepted.append(time.perf_counter())

    inbox.in_idle.clear()
    sender = threading.Thread(target=send)
    sender.start()
    inbox.wait_for(to=to, timeout=10)
    returned = time.perf_counter()
    sender.join()
    return returned - accepted[0]


def _polling_round(sink: SinkInThread, inbox: _SignallingInbox, n: int) -> float:
    """IDLE off: the mail arrives at a random moment of a 1 s polling interval."""
    to = inbox.address(f"poll-{n}")
    accepted: list[float] = []

    def send() -> None:
        time.sleep(0.05 + (n * 0.37) % 1.0)  # spread over the polling interval
        sink.send(to, f"poll {n}")
        accepted.append(time.perf_counter())

    idle, inbox._idle = inbox._idle, False  # noqa: SLF001 - a server without IDLE
    interval, mail_module._POLL_INTERVAL = mail_module._POLL_INTERVAL, 1.0  # noqa: SLF001
    try:
        sender = threading.Thread(target=send)
        sender.start()
        inbox.wait_for(to=to, timeout=10)
        returned = time.perf_counter()
        sender.join()
    finally:
        inbox._idle = idle  # noqa: SLF001
        mail_module._POLL_INTERVAL = interval  # noqa: SLF001
    return returned - accepted[0]


def _search_first_round(sink: SinkInThread, inbox: Inbox, n: int) -> float:
    to = inbox.address(f"early-{n}")
    sink.send(to, f"early {n}")
    accepted = time.perf_counter()
    inbox.wait_for(to=to, timeout=10)
    return time.perf_counter() - accepted


def _smtp_send(maildev: RunningMailDev, to: str, subject: str) -> None:
    import smtplib  # noqa: PLC0415
    from email.message import EmailMessage  # noqa: PLC0415

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bench@sandbox.test", to, subject
    msg.set_content(subject)
    with smtplib.SMTP(maildev.host, maildev.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)


def _catcher_waiting_round(maildev: RunningMailDev, inbox: CatcherInbox, n: int) -> float:
    """The waiter is already waiting (pushed or polling) when the mail is accepted; the send
    comes at a moment spread over the polling interval."""
    to = inbox.address(f"catcher-{n}")
    accepted: list[float] = []

    def send() -> None:
        time.sleep(0.05 + (n * 0.037) % 0.25)
        _smtp_send(maildev, to, f"catcher {n}")
        accepted.append(time.perf_counter())

    sender = threading.Thread(target=send)
    sender.start()
    inbox.wait_for(to=to, timeout=10)
    returned = time.perf_counter()
    sender.join()
    return returned - accepted[0]


def _catcher_search_first_round(maildev: RunningMailDev, inbox: CatcherInbox, n: int) -> float:
    to = inbox.address(f"catcher-early-{n}")
    _smtp_send(maildev, to, f"early {n}")
    accepted = time.perf_counter()
    inbox.wait_for(to=to, timeout=10)
    return time.perf_counter() - accepted


def _catcher_cases() -> None:
    try:
        catcher = running_maildev()
        maildev = catcher.__enter__()
    except SandboxError as exc:
        print(f"MailDev cases skipped: {exc}")
        return
    try:
        def inbox(*, push: bool) -> CatcherInbox:
            return CatcherInbox(maildev.api_url, address_base=ADDRESS_BASE, user=maildev.user,
                                password=SecretStr(maildev.password), push=push)

        with inbox(push=True) as pushed:
            assert pushed.supports_idle, "MailDev's socket.io push did not open"
            _report("maildev push", [_catcher_waiting_round(maildev, pushed, n) for n in range(ROUNDS)])
            _report("maildev first", [_catcher_search_first_round(maildev, pushed, n)
                                      for n in range(ROUNDS)])
        with inbox(push=False) as polled:
            _report("maildev 0.25 s", [_catcher_waiting_round(maildev, polled, n) for n in range(ROUNDS)])
    finally:
        catcher.__exit__(None, None, None)


def _report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[-1]
    print(
        f"{name:<15} n={len(ms)}  p50 {statistics.median(ms):7.1f} ms  "
        f"p95 {p95:7.1f} ms  max {ms[-1]:7.1f} ms"
    )


def main() -> None:
    with running_mail_sink() as started:
        sink = SinkInThread(started)
        cases: list[tuple[str, Callable[[SinkInThread, _SignallingInbox, int], float]]] = [
            ("idle", _idle_round),
            ("polling at 1 s", _polling_round),
            ("search-first", _search_first_round),
        ]
        login = (started.host, started.imap_port, started.imap_user, SecretStr(started.imap_password))
        with Inbox(*login, ssl=False, address_base=ADDRESS_BASE) as plain:
            plain.assert_none(to=plain.address("warmup"), within=0)  # warm-up: first login hashes
        with _SignallingInbox(*login, ssl=False, address_base=ADDRESS_BASE) as inbox:
            for name, round_ in cases:
                _report(name, [round_(sink, inbox, n) for n in range(ROUNDS)])
    _catcher_cases()


if __name__ == "__main__":
    main()
