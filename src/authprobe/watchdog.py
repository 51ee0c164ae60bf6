"""A deadline on a whole blocking call for HTTP clients that only bound each socket read.

requests (urllib3 under it) gives every socket read its timeout afresh, so a server that
trickles its answer a byte at a time is never cut off. Here the call runs in the caller's own
thread (so Ctrl-C still reaches it, which a call moved to a worker thread would not), and a
timer shuts down the sockets it is using when its deadline passes: the blocked read returns at
once, the client raises, and the caller, seeing `Deadline.expired`, says so in one sentence.
The timer thread ends with the call; nothing is left blocked.

Sockets are recorded by the client's connection class (`watched_adapter` builds one for
requests) into the deadline running in the recording thread, so one watch can serve a client
shared across threads, and a pooled connection made by an earlier call is recorded when reused.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter

__all__ = ["Deadline", "SocketWatch", "watched_adapter"]


def _shut(sock: socket.socket) -> None:
    """Shut the connection down under whoever reads it (`socket.socket`'s own shutdown: an
    SSLSocket's would drop its TLS state under the reading thread's feet)."""
    with contextlib.suppress(OSError, ValueError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Deadline:
    """One call's deadline: a context manager; `expired` tells afterwards whether it cut the call."""

    def __init__(self, watch: SocketWatch, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._watch = watch
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._outer: Deadline | None = None

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut(sock)  # a retry after the deadline ends at once too

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> Deadline:
        self._outer = self._watch.current()
        self._watch.local.current = self
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._timer.cancel()
        self._timer.join()  # a firing timer finishes its shutdowns; none outlives the call
        self._watch.local.current = self._outer
        with self._lock:
            self._sockets = []


class SocketWatch:
    """Where a client's connections record their sockets, for the deadline of the call in flight."""

    def __init__(self) -> None:
        self.local = threading.local()

    def current(self) -> Deadline | None:
        found: Deadline | None = getattr(self.local, "current", None)
        return found

    def deadline(self, seconds: float) -> Deadline:
        return Deadline(self, seconds)

    def record(self, sock: socket.socket | None) -> None:
        deadline = self.current()
        if sock is not None and deadline is not None:
            deadline.add(sock)


def watched_adapter(adapter: BaseAdapter, watch: SocketWatch) -> BaseAdapter:
    """`adapter` rebuilt (its retries and pool sizes kept) on connections that record their
    sockets in `watch`: the raw socket when made (so a TLS handshake is cut too), the socket in
    use before each answer is read (so a reused pooled one is). Any other adapter is returned
    as it is."""
    from requests.adapters import HTTPAdapter  # noqa: PLC0415 (with the client that needs it)
    from urllib3.connection import HTTPConnection, HTTPSConnection  # noqa: PLC0415
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool  # noqa: PLC0415

    if not isinstance(adapter, HTTPAdapter):
        return adapter

    class Plain(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watch.record(sock)
            return sock

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            watch.record(self.sock)
            return super().getresponse(*args, **kwargs)

    class Secure(Plain, HTTPSConnection):  # Plain's recording, then HTTPS's own connection
        pass

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = Secure

    class Watched(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PlainPool, "https": SecurePool}

    return Watched(pool_connections=adapter._pool_connections,  # noqa: SLF001 - kept as they were
                   pool_maxsize=adapter._pool_maxsize, max_retries=adapter.max_retries,  # noqa: SLF001
                   pool_block=adapter._pool_block)  # noqa: SLF001
