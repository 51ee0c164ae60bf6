"""Outgoing mail over real SMTP; smtplib blocks, so sends run in a worker thread."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from starlette.concurrency import run_in_threadpool


class Mailer:
    """Sends multipart/alternative mail (text + HTML) to the configured SMTP server."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host = host
        self.port = port
        self.sender = sender

    def build(self, to: str, subject: str, text: str, html: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        return msg

    def _send(self, msg: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(msg)

    async def send(self, to: str, subject: str, text: str, html: str) -> None:
        await run_in_threadpool(self._send, self.build(to, subject, text, html))
