"""A real MailSink on free ports, served from a background asyncio loop thread.

For synchronous callers (the tool's own tests, the mail-latency bench): imaplib and smtplib
block, so the sink needs a loop of its own that keeps running while the caller waits.
"""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from authprobe.sandbox.mailsink import MailSink

ADDRESS_BASE = "qa@sandbox.test"


class SinkInThread:
    """A started MailSink and a way to send it mail over real SMTP."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    def send(self, to: str, subject: str = "Hello", *, text: str | None = "hello",
             html: str | None = None) -> None:
        """Send one mail over real SMTP; returns once the sink accepted (and delivered) it."""
        msg = EmailMessage()
        msg["From"] = "authprobe sandbox <no-reply@sandbox.test>"
        msg["To"] = to
        msg["Subject"] = subject
        if text is not None:
            msg.set_content(text)
        if html is not None:
            if text is None:
                msg.set_content(html, subtype="html")
            else:
                msg.add_alternative(html, subtype="html")
        with smtplib.SMTP(self.sink.host, self.sink.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)


@contextmanager
def running_mail_sink() -> Iterator[MailSink]:
    """Start a MailSink on free ports in its own loop thread; stop both on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mailsink-loop", daemon=True)
    thread.start()
    sink = MailSink()
    try:
        asyncio.run_coroutine_threadsafe(sink.start(), loop).result(timeout=30)
        yield sink
    finally:
        asyncio.run_coroutine_threadsafe(sink.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
