"""An IMAP connection on which every stage has a deadline, and whole operations one above them.

imaplib bounds each socket read by one timeout, which a server that trickles its answer a
byte at a time never trips: every read is quick, the answer never ends. Here every read of
the connection (and the TLS handshake) is given only the time left of the current stage and
of the whole operation around it, so a stall or a trickle ends at the deadline, in one
`MailServerStalled` sentence naming the server, the stage and E2E_IMAP_TIMEOUT.

The stage is the IMAP command in flight, read from the verb of the line imaplib sends (never
its arguments: LOGIN carries the password).
"""

from __future__ import annotations

import contextlib
import imaplib
import io
import select
import socket
import ssl
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from imap_tools import BaseMailBox

from authprobe.errors import MailServerStalled

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = ["Deadlines", "DeadlineMailBox"]

SETTING = "E2E_IMAP_TIMEOUT"
# the IMAP verbs a stage is named by; an unknown line (a literal) keeps the current stage
_STAGES = {"CAPABILITY": "capability", "LOGIN": "login", "SELECT": "select", "NOOP": "noop",
           "UID SEARCH": "search", "UID FETCH": "fetch", "UID STORE": "delete",
           "EXPUNGE": "expunge", "IDLE": "IDLE start", "DONE": "IDLE done", "LOGOUT": "logout"}
_REACHING = ("connect", "TLS", "greeting")  # before the server has said it speaks IMAP


class Deadlines:
    """The clock of one connection: the stage in flight with its deadline, and the deadline of
    the whole operation (opening the mailbox, one wait for mail) it is part of."""

    def __init__(self, host: str, port: int, stage_seconds: float) -> None:
        self.where = f"{host}:{port}"
        self.stage_seconds = stage_seconds
        self.stage = "connect"
        self.stalled = False  # once a stage stalled the connection is only fit to be dropped
        self._stage_ends = time.monotonic() + stage_seconds
        self._whole: tuple[float, float] | None = None  # (ends, seconds)

    def begin(self, stage: str) -> None:
        self.stage = stage
        self._stage_ends = time.monotonic() + self.stage_seconds

    @contextlib.contextmanager
    def whole(self, seconds: float) -> Iterator[None]:
        """Bound everything inside by ``seconds`` as well (nested: the earlier deadline wins)."""
        outer = self._whole
        ends = time.monotonic() + seconds
        self._whole = (ends, seconds) if outer is None or ends < outer[0] else outer
        try:
            yield
        finally:
            self._whole = outer

    def left(self) -> float:
        """Seconds the next read may take; past a deadline, the one-sentence error."""
        ends, limit = self._stage_ends, self.stage_seconds
        if self._whole is not None and self._whole[0] < ends:
            ends, limit = self._whole
        left = ends - time.monotonic()
        if left <= 0:
            raise self.error(limit)
        return left

    def error(self, limit: float | None = None) -> MailServerStalled:
        """What a stall at the current stage is, said once: which server, stage, limit, setting."""
        self.stalled = True
        if limit is None:
            limit = self.stage_seconds
            if self._whole is not None and self._whole[0] < self._stage_ends:
                limit = self._whole[1]
        if self.stage in _REACHING:
            return MailServerStalled(
                f"Cannot reach the IMAP server at {self.where}: the {self.stage} did not finish "
                f"within {limit:g} s; check E2E_IMAP_HOST, E2E_IMAP_PORT and E2E_IMAP_SSL, or "
                f"raise {SETTING} if the server is only slow.")
        return MailServerStalled(
            f"The IMAP server at {self.where} did not finish answering within {limit:g} s at "
            f"the {self.stage} stage; check that it is healthy, or raise {SETTING} if it is "
            "only slow.")


class _DeadlineReader(io.RawIOBase):
    """The raw stream under imaplib's buffered reads: each recv gets only the time left."""

    def __init__(self, sock: socket.socket, clock: Deadlines) -> None:
        super().__init__()
        self._sock, self._clock = sock, clock
        self.probing = False  # look without blocking (what is already there?)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        if self.probing:
            self._sock.settimeout(0)
            try:
                return self._sock.recv_into(memoryview(buffer))
            except (BlockingIOError, ssl.SSLWantReadError):
                return None
        self._sock.settimeout(self._clock.left())
        try:
            return self._sock.recv_into(memoryview(buffer))
        except TimeoutError:
            raise self._clock.error() from None


class DeadlineIMAP4(imaplib.IMAP4):
    """imaplib's client with TLS (if given a context) and reads bounded by `Deadlines`."""

    def __init__(self, clock: Deadlines, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.clock, self._tls = clock, tls
        super().__init__(host, port, timeout=clock.stage_seconds)

    def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
        self.host, self.port = host, port
        self.clock.begin("connect")
        try:
            sock = socket.create_connection((host or None, port), timeout=self.clock.left())
        except TimeoutError:
            raise self.clock.error() from None
        if self._tls is not None:
            sock = _handshake(self._tls.wrap_socket(sock, server_hostname=host or None,
                                                    do_handshake_on_connect=False), self.clock)
        self.sock = sock
        self.reader = _DeadlineReader(sock, self.clock)
        self.file = io.BufferedReader(self.reader)
        self.clock.begin("greeting")

    def send(self, data: ReadableBuffer) -> None:
        words = bytes(data).split(None, 3)
        verb = b" ".join(words[1:3] if words[1:2] == [b"UID"] else words[1:2]).upper().decode()
        stage = _STAGES.get("DONE" if words[:1] == [b"DONE"] else verb)
        if stage is not None:
            self.clock.begin(stage)
        self.sock.settimeout(self.clock.left())
        try:
            super().send(data)
        except TimeoutError:  # the server does not even take what we send
            raise self.clock.error() from None

    def has_buffered_input(self) -> bool:
        """Whether a response is already read (or readable at once) where select cannot see it."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        self.reader.probing = True
        try:
            return bool(self.file.peek(1))  # type: ignore[union-attr]  # a BufferedReader here
        except OSError:
            return False
        finally:
            self.reader.probing = False


def _handshake(tls: ssl.SSLSocket, clock: Deadlines) -> ssl.SSLSocket:
    """The TLS handshake, bounded as a whole (a blocking one bounds each read only)."""
    clock.begin("TLS")
    tls.settimeout(0)
    while True:
        try:
            tls.do_handshake()
            return tls
        except ssl.SSLWantReadError:
            ready = select.select([tls], [], [], clock.left())[0]
        except ssl.SSLWantWriteError:
            ready = select.select([], [tls], [], clock.left())[1]
        if not ready:
            raise clock.error()


class DeadlineMailBox(BaseMailBox):
    """imap-tools' mailbox on a `DeadlineIMAP4` (TLS from the start when given a context)."""

    client: DeadlineIMAP4

    def __init__(self, clock: Deadlines, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self._args = (clock, host, port, tls)
        super().__init__()

    def _get_mailbox_client(self) -> DeadlineIMAP4:
        return DeadlineIMAP4(*self._args)

    def drop(self) -> None:
        """Close the connection without a word (after a stall, a polite LOGOUT would wait too)."""
        with contextlib.suppress(OSError):
            self.client.sock.shutdown(socket.SHUT_RDWR)
        self.client.shutdown()
