"""The test inbox on a mail catcher's HTTP API (MailDev), with the contract of the IMAP `Inbox`.

Many staging setups send mail into a catcher and have no IMAP at all. This reads MailDev's
REST API the way `Inbox` reads IMAP: one plus-address per test (the same run-stamped form),
search first and then wait, consumed mail deleted (`DELETE /email/:id`), "no mail within N s"
checks. Waiting is pushed: MailDev tells socket.io clients of each `newMail`, so a waiter
searches again at once instead of at its next poll; where that channel cannot be opened (a
proxy that drops websockets) the inbox polls, and says so through `supports_idle`.

Every REST call is bounded as a whole by E2E_HTTP_TIMEOUT (connect to last byte: a catcher
that trickles its answer is cut off), and opening the inbox proves that what answers at
E2E_MAIL_API_URL is MailDev (its `/config`), or stops with one sentence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from pydantic import SecretStr

from authprobe.errors import MailCatcherError
from authprobe.oob.mail import Email, assert_no_mail, checked_address_base, plus_address, wait_for_mail
from authprobe.tls import Trust, certificate_problem
from authprobe.wait import wait_until
from authprobe.watchdog import SocketWatch, watched_adapter

if TYPE_CHECKING:
    import requests

__all__ = ["CatcherInbox"]

T = TypeVar("T")

SETTING = "E2E_HTTP_TIMEOUT"
_PUSH_SLICE = 1.0  # with push: search again at least this often (an event lost in a reconnect)
_POLL_INTERVAL = 0.25  # without push: how often to search again


class CatcherInbox:
    """MailDev's REST API as the run's inbox, used as a context manager; one per thread.

    ``http_timeout`` (E2E_HTTP_TIMEOUT) bounds each call; a wait for mail is bounded by its own
    timeout plus one call's."""

    def __init__(self, api_url: str, *, address_base: str, user: str | None = None,
                 password: SecretStr | None = None, http_timeout: float = 5.0,
                 trust: Trust | None = None, push: bool = True) -> None:
        self._api_url = api_url.rstrip("/")
        self._address_base = checked_address_base(address_base)
        self._user, self._password = user, password
        self._timeout = http_timeout
        self._trust = trust or Trust()
        self._want_push = push
        self._watch = SocketWatch()
        self._session: requests.Session | None = None
        self._socket: Any = None  # socketio.Client while push is on
        self._arrived = threading.Event()
        self.smtp_port: int | None = None  # MailDev's own SMTP port, from its /config
        self.version = ""

    def __repr__(self) -> str:
        return f"CatcherInbox({self._api_url}, push={self.supports_idle})"

    def __enter__(self) -> Self:
        import requests  # noqa: PLC0415 (the IMAP-only run never pays for it)

        session = requests.Session()
        session.verify = self._trust.requests_verify()
        if self._user and self._password is not None:
            session.auth = (self._user, self._password.get_secret_value())
        for prefix, adapter in list(session.adapters.items()):
            session.mount(prefix, watched_adapter(adapter, self._watch))
        self._session = session
        try:
            config = self._json("GET", "/config")
            # MailDev reports the SMTP port as it was given: a number, or a string from its CLI
            if not (isinstance(config, dict) and str(config.get("smtpPort", "")).isdigit()
                    and "version" in config):
                raise MailCatcherError(
                    f"{self._api_url} answers, but not as MailDev (its /config has no version and "
                    "smtpPort); point E2E_MAIL_API_URL at MailDev's web address.")
            self.smtp_port, self.version = int(config["smtpPort"]), str(config["version"])
            if self._want_push:
                self._socket = self._open_push()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.disconnect()
        session, self._session = self._session, None
        if session is not None:
            session.close()

    @property
    def supports_idle(self) -> bool:
        """Whether MailDev pushes new mail to this inbox (else it polls every 0.25 s)."""
        return self._socket is not None and bool(self._socket.connected)

    def address(self, tag: str) -> str:
        """A fresh plus-address, unique per call: ``qa@x`` -> ``qa+signup-3f2a9c-r…@x``."""
        return plus_address(self._address_base, tag)

    def wait_for(self, *, to: str, subject: str | None = None, timeout: float = 30.0) -> Email:
        """Wait for mail to exactly ``to`` whose subject contains ``subject`` (case-insensitive);
        consume it."""
        others: list[str] = []

        def probe() -> Email | None:
            mails = self._mails_to(to)
            others[:] = [str(m.get("subject") or "") for m in mails]
            hit = next((m for m in mails if subject is None
                        or subject.casefold() in str(m.get("subject") or "").casefold()), None)
            if hit is None:
                return None
            self._json("DELETE", f"/email/{hit['id']}")
            return Email(to=to, subject=str(hit.get("subject") or ""), text=str(hit.get("text") or ""),
                         html=str(hit.get("html") or ""))

        return wait_for_mail(self._wait, probe, others, to=to, subject=subject, timeout=timeout)

    def assert_none(self, *, to: str, within: float) -> None:
        """Fail if any mail to ``to`` is (or becomes) present during ``within`` seconds."""
        assert_no_mail(self._wait, lambda: [str(m.get("subject") or "") for m in self._mails_to(to)],
                       to=to, within=within)

    def _mails_to(self, to: str) -> list[dict[str, Any]]:
        """Mail addressed exactly to ``to`` (header To/Cc or the SMTP envelope, so Bcc'd and
        catch-all mail is matched too), oldest first."""
        self._arrived.clear()  # mail arriving from here on wakes the next pause at once
        listed = self._json("GET", "/email")
        if not isinstance(listed, list):
            raise MailCatcherError(f"MailDev at {self._api_url} answered its mail list with "
                                   "something else than a list; check E2E_MAIL_API_URL.")
        wanted = to.casefold()
        return [m for m in listed if isinstance(m, dict) and "id" in m and wanted in _recipients(m)]

    def _wait(self, probe: Callable[[], T | None], *, timeout: float, what: str) -> T:
        push = self.supports_idle
        return wait_until(probe, timeout=timeout, what=what,
                          interval=_PUSH_SLICE if push else _POLL_INTERVAL,
                          pause=self._arrived.wait if push else time.sleep)

    def _open_push(self) -> Any:
        """MailDev's socket.io channel, its `newMail` setting `_arrived`; None where it cannot be
        opened within E2E_HTTP_TIMEOUT (the inbox then polls)."""
        import socketio  # type: ignore[import-untyped]  # noqa: PLC0415 (python-socketio: untyped)

        client = socketio.Client(reconnection=False, handle_sigint=False,
                                 request_timeout=self._timeout, ssl_verify=not self._trust.ignore)
        client.on("newMail", lambda *_: self._arrived.set())
        path = (self._api_url.split("://", 1)[1].partition("/")[2]).strip("/")
        headers = {}
        if self._session is not None and self._session.auth is not None:
            import requests  # noqa: PLC0415

            prepared = requests.Request("GET", self._api_url, auth=self._session.auth).prepare()
            headers["Authorization"] = str(prepared.headers["Authorization"])
        try:
            client.connect(self._api_url, headers=headers, transports=["websocket"],
                           socketio_path=f"{path}/socket.io" if path else "socket.io",
                           wait_timeout=self._timeout)
        except (socketio.exceptions.ConnectionError, OSError, ValueError):
            client.disconnect()
            return None
        return client

    def _json(self, method: str, path: str) -> Any:
        """One REST call, connect to last byte within E2E_HTTP_TIMEOUT; its JSON answer."""
        import requests  # noqa: PLC0415

        if self._session is None:
            raise RuntimeError("CatcherInbox is not open; use it as a context manager")
        where = self._api_url
        deadline = self._watch.deadline(self._timeout)
        try:
            with deadline:
                answer = self._session.request(method, where + path, timeout=self._timeout)
                body = answer.content
        except requests.exceptions.SSLError as exc:
            raise MailCatcherError(certificate_problem(where, exc, self._trust, what="The mail catcher")
                                   or f"TLS with the mail catcher at {where} failed; check "
                                   "E2E_MAIL_API_URL.") from None
        except requests.RequestException as exc:
            if deadline.expired or isinstance(exc, requests.Timeout):
                raise MailCatcherError(
                    f"The mail catcher at {where} did not answer {method} {path} within "
                    f"{self._timeout:g} s; check E2E_MAIL_API_URL and that MailDev is running, or "
                    f"raise {SETTING} if it is only slow.") from None
            raise MailCatcherError(f"Cannot reach the mail catcher at {where}; check E2E_MAIL_API_URL "
                                   "and that MailDev is running.") from None
        if answer.status_code in (401, 403):
            raise MailCatcherError(f"The mail catcher at {where} refused the login (HTTP "
                                   f"{answer.status_code}); check E2E_MAIL_API_USER and "
                                   "E2E_MAIL_API_PASSWORD.")
        try:
            if answer.status_code != 200:
                raise ValueError(answer.status_code)
            return answer.json() if body else None
        except ValueError:
            raise MailCatcherError(
                f"{where} answers {method} {path} with HTTP {answer.status_code}, not MailDev's "
                "JSON; point E2E_MAIL_API_URL at MailDev's web address.") from None


def _recipients(mail: dict[str, Any]) -> set[str]:
    """Header To and Cc plus the SMTP envelope's recipients, folded."""
    found: set[str] = set()
    envelope = mail.get("envelope")
    envelope_to = envelope.get("to") if isinstance(envelope, dict) else None
    for people in (mail.get("to"), mail.get("cc"), envelope_to):
        for person in people if isinstance(people, list) else []:
            if isinstance(person, dict) and isinstance(person.get("address"), str):
                found.add(person["address"].casefold())
    return found
