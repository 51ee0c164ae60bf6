"""How long from SMTP accept to ``Inbox.wait_for`` returning, over a real MailSink.

Two cases: the waiter already sits in IMAP IDLE when the mail is sent (the usual e2e case),
and the mail is already there when ``wait_for`` starts (search first). Prints ms.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from harness.mail import Inbox
from tests.mailsink_fixture import RunningSink, running_mail_sink

ROUNDS = 20


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


def _idle_round(sink: RunningSink, inbox: _SignallingInbox, n: int) -> float:
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


def _search_first_round(sink: RunningSink, inbox: Inbox, n: int) -> float:
    to = inbox.address(f"early-{n}")
    sink.send(to, f"early {n}")
    accepted = time.perf_counter()
    inbox.wait_for(to=to, timeout=10)
    return time.perf_counter() - accepted


def _report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1]
    print(
        f"{name:<13} n={len(ms)}  median {statistics.median(ms):6.1f} ms  "
        f"p90 {p90:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


def main() -> None:
    with running_mail_sink() as sink:
        cases: list[tuple[str, Callable[[RunningSink, _SignallingInbox, int], float]]] = [
            ("idle", _idle_round),
            ("search-first", _search_first_round),
        ]
        with sink.inbox() as plain:  # warm-up: first login hashes the password
            plain.assert_none(to=plain.address("warmup"), within=0)
        s = sink.sink
        with _SignallingInbox(
            s.host,
            s.imap_port,
            s.imap_user,
            sink.inbox()._password,
            ssl=False,
            address_base="qa@sandbox.test",
        ) as inbox:
            for name, round_ in cases:
                _report(name, [round_(sink, inbox, n) for n in range(ROUNDS)])


if __name__ == "__main__":
    main()
