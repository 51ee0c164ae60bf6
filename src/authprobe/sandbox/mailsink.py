"""Mail sink: a real SMTP server delivering into a real IMAP server, in one asyncio loop.

The harness reads mail over IMAP exactly as it would from staging, so the sandbox must offer
real protocols on both sides: aiosmtpd accepts every recipient (catch-all) and each accepted
mail is appended into the INBOX of one pymap user through pymap's own session API, which is
what its admin ``Append`` does and what wakes IDLE clients.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from argparse import Namespace
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from proxyprotocol.reader import ProxyProtocolReader
from proxyprotocol.sock import SocketInfo
from pymap.backend.dict import DictBackend
from pymap.concurrent import Subsystem
from pymap.imap import IMAPServer
from pymap.interfaces.login import IdentityInterface
from pymap.parsing.message import AppendMessage
from pymap.parsing.specials import ExtensionOptions

__all__ = ["MailSink"]


class _Deliver:
    """aiosmtpd handler: one INBOX copy per envelope recipient, like a local MTA."""

    def __init__(self, identity: IdentityInterface) -> None:
        self._identity = identity

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        messages = [
            AppendMessage(
                # Delivered-To keeps the envelope recipient visible for Bcc and catch-all mail.
                b"Delivered-To: " + rcpt.encode() + b"\r\n" + content,
                datetime.now(UTC),
                frozenset(),
                ExtensionOptions.empty(),
            )
            for rcpt in envelope.rcpt_tos
        ]
        async with self._identity.new_session() as imap:
            await imap.append_messages("INBOX", messages)
        return "250 OK delivered"


def _listening_socket(host: str, port: int) -> socket.socket:
    """Bind ourselves so that port 0 works and the real port is known before anyone connects.

    ``proto=IPPROTO_TCP`` matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    says TCP, and without it every multi-write IMAP response waits ~40 ms for a delayed ACK.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.setblocking(False)
    return sock


# What asyncio.start_server calls per IMAP connection (behind the PROXY protocol reader).
Connection = Callable[[asyncio.StreamReader, asyncio.StreamWriter, SocketInfo], Coroutine[Any, Any, None]]


class _Sessions:
    """Tracks live IMAP connections so that stop() can end them, IDLE ones included.

    Closing a listener leaves its connections running (and Python 3.12+'s ``wait_closed``
    waits for them), so a test's idling client would otherwise keep the sink alive.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def wrap(self, serve: Connection) -> Connection:
        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          sock_info: SocketInfo) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await serve(reader, writer, sock_info)
            finally:
                self._tasks.discard(task)

        return tracked

    async def cancel(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=1.0) if tasks else None


class MailSink:
    """SMTP catch-all on ``smtp_port`` delivering into one IMAP INBOX on ``imap_port``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        imap_port: int = 0,
        imap_user: str = "qa@sandbox.test",
        imap_password: str | None = None,
    ) -> None:
        self.host = host
        self.smtp_port = smtp_port
        self.imap_port = imap_port
        self.imap_user = imap_user
        self.imap_password = imap_password or secrets.token_urlsafe(18)
        self._stack: AsyncExitStack | None = None

    def __repr__(self) -> str:
        # The password stays out of reprs, logs and tracebacks.
        return (
            f"MailSink(host={self.host!r}, smtp_port={self.smtp_port}, "
            f"imap_port={self.imap_port}, imap_user={self.imap_user!r})"
        )

    async def start(self) -> None:
        """Start both servers in the running loop; afterwards the ports are the bound ones."""
        if self._stack is not None:
            raise RuntimeError("MailSink is already started")
        async with AsyncExitStack() as stack:
            backend, config = await DictBackend.init(self._pymap_args(), **self._pymap_overrides(stack))
            config.apply_context()
            await backend.start(stack)

            imap_sock = _listening_socket(self.host, self.imap_port)
            sessions = _Sessions()
            stack.push_async_callback(sessions.cancel)  # runs after the listener is closed
            imap_cb = ProxyProtocolReader(config.proxy_protocol).get_callback(
                sessions.wrap(IMAPServer(backend.login, config))
            )
            imap_server = await asyncio.start_server(imap_cb, sock=imap_sock)
            stack.callback(imap_server.close)
            self.imap_port = imap_sock.getsockname()[1]

            handler = _Deliver(backend.login.demo_user_identity)
            smtp_server = await asyncio.get_running_loop().create_server(
                lambda: SMTP(handler, hostname="sandbox.test", ident="authprobe mail sink"),
                sock=_listening_socket(self.host, self.smtp_port),
            )
            stack.callback(smtp_server.close)
            self.smtp_port = smtp_server.sockets[0].getsockname()[1]
            self._stack = stack.pop_all()

    async def stop(self) -> None:
        """Close both listeners and drop the mailbox; safe to call twice."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    def _pymap_args(self) -> Namespace:
        """What ``pymap ... --no-tls dict --demo-user U --demo-password P`` would parse."""
        return Namespace(
            host=[self.host],
            port=self.imap_port,
            debug=False,
            cert=None,
            key=None,
            tls=False,
            passlib_cfg=None,
            proxy_protocol=None,
            inherited_sockets=None,
            demo_data=False,
            demo_user=self.imap_user,
            demo_password=self.imap_password,
        )

    @staticmethod
    def _pymap_overrides(stack: AsyncExitStack) -> dict[str, Any]:
        # pymap otherwise starts one thread per CPU per sink for password hashing and never
        # stops them; one worker we shut down ourselves is plenty for one user.
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailsink-hash")
        stack.callback(executor.shutdown, wait=False)
        return {"cpu_subsystem": Subsystem.for_threading(executor), "invalid_user_sleep": 0.0}
