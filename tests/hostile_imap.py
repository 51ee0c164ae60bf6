"""A fake IMAP server on 127.0.0.1 that behaves until one chosen stage, then stalls or trickles.

It speaks just enough IMAP4rev1 for the real `Inbox` (imap-tools over imaplib): the greeting,
CAPABILITY, LOGIN, SELECT, NOOP, UID SEARCH, UID FETCH, UID STORE, EXPUNGE, IDLE/DONE and
LOGOUT. At the chosen stage it either says nothing (``stall``) or sends its proper answer one
byte every 0.5 s (``trickle``), which keeps every single read inside a socket timeout and so
only a deadline on the whole operation ends it. ``slow`` answers every stage whole but late,
each within any sensible per-stage limit: only a deadline above the stages ends it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from tests.hostile_server import serving

__all__ = ["ADDRESS", "MAIL_TO", "PASSWORD", "STAGES", "HostileImap", "hostile_imap"]

Stage = Literal["greeting", "login", "select", "search", "fetch", "delete", "idle", "idle_done"]
STAGES: tuple[Stage, ...] = ("greeting", "login", "select", "search", "fetch", "delete", "idle",
                             "idle_done")
Mode = Literal["stall", "trickle", "slow"]
TRICKLE_GAP = 0.5  # seconds between two bytes of a trickled answer
SLOW_DELAY = 0.8  # "slow": every answer (at every stage) comes whole, this late
PASSWORD = "hostile-imap-pw-7f3a"  # tests assert it never appears in a message  # pragma: allowlist secret
ADDRESS = "qa@hostile.test"
MAIL_TO = "qa+hostile-1@hostile.test"  # the one mail the server holds (for fetch and delete)
_MAIL = (f"To: {MAIL_TO}\r\nFrom: app@hostile.test\r\nSubject: Activate your account\r\n"
         "Content-Type: text/plain\r\n\r\nhello\r\n").encode()


@dataclass
class HostileImap:
    """The running server: where it listens, and what it has been asked to misbehave at."""

    stage: Stage
    mode: Mode
    host: str = "127.0.0.1"
    port: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            reader = conn.makefile("rb")
            self._say(conn, "greeting", b"* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n")
            idling: str | None = None
            while not self.stop.is_set():
                line = reader.readline()
                if not line:
                    return
                if idling is not None:  # the only thing a client sends in IDLE is DONE
                    self._say(conn, "idle_done", f"{idling} OK IDLE done\r\n".encode())
                    idling = None
                    continue
                tag, _, rest = line.decode().strip().partition(" ")
                words = rest.upper().split()
                verb = " ".join(words[:2]) if words[:1] == ["UID"] else (words[:1] or [""])[0]
                if verb == "IDLE":
                    idling = tag
                    self._say(conn, "idle", b"+ idling\r\n")
                    continue
                self._say(conn, *self._answer(tag, verb))
                if verb == "LOGOUT":
                    return

    def _answer(self, tag: str, verb: str) -> tuple[str, bytes]:
        ok = f"{tag} OK done\r\n"
        holds_mail = self.stage in ("fetch", "delete")
        answers: dict[str, tuple[str, str | bytes]] = {
            "CAPABILITY": ("capability", f"* CAPABILITY IMAP4rev1 IDLE\r\n{ok}"),
            "LOGIN": ("login", ok),
            "SELECT": ("select", f"* {int(holds_mail)} EXISTS\r\n{tag} OK [READ-WRITE] done\r\n"),
            "UID SEARCH": ("search", f"* SEARCH{' 1' if holds_mail else ''}\r\n{ok}"),
            "UID FETCH": ("fetch", b"* 1 FETCH (UID 1 FLAGS () BODY[] {%d}\r\n%s)\r\n%s"
                          % (len(_MAIL), _MAIL, ok.encode())),
            "UID STORE": ("delete", f"* 1 FETCH (FLAGS (\\Deleted))\r\n{ok}"),
            "EXPUNGE": ("delete", f"* 1 EXPUNGE\r\n{ok}"),
            "LOGOUT": ("logout", f"* BYE bye\r\n{ok}"),
        }
        stage, answer = answers.get(verb, ("other", ok))
        return stage, answer if isinstance(answer, bytes) else answer.encode()

    def _say(self, conn: socket.socket, stage: str, answer: bytes) -> None:
        if self.mode == "slow":
            if not self.stop.wait(SLOW_DELAY):
                conn.sendall(answer)
        elif stage != self.stage:
            conn.sendall(answer)
        elif self.mode == "stall":
            self.stop.wait()
        else:
            for byte in answer:
                if self.stop.wait(TRICKLE_GAP):
                    return
                conn.sendall(bytes([byte]))


@contextlib.contextmanager
def hostile_imap(stage: Stage, mode: Mode) -> Iterator[HostileImap]:
    """Serve on a free port until the block ends; then every connection is let go."""
    with serving(HostileImap(stage, mode)) as server:
        yield server
