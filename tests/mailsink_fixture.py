"""The sandbox's MailSink in a thread (authprobe.sandbox.mailsink_thread), with an Inbox on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import SecretStr

from authprobe.oob.mail import Inbox
from authprobe.sandbox import mailsink_thread
from authprobe.sandbox.mailsink_thread import ADDRESS_BASE, SinkInThread


class RunningSink(SinkInThread):
    """A started MailSink plus the inbox tests read it with."""

    def inbox(self, *, password: str | None = None, port: int | None = None) -> Inbox:
        return Inbox(
            self.sink.host,
            self.sink.imap_port if port is None else port,
            self.sink.imap_user,
            SecretStr(self.sink.imap_password if password is None else password),
            ssl=False,
            address_base=ADDRESS_BASE,
        )


@contextmanager
def running_mail_sink() -> Iterator[RunningSink]:
    with mailsink_thread.running_mail_sink() as sink:
        yield RunningSink(sink)


@pytest.fixture(scope="module")
def mail_sink() -> Iterator[RunningSink]:
    with running_mail_sink() as running:
        yield running
