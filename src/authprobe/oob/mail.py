"""The test inbox: real IMAP, one plus-address per test, search first and then IDLE.

Tests read mail the way users do, from a real mailbox, so what the app really sent is what
is checked. Matching is on a unique recipient address, never on dates, and consumed mail is
deleted so that one test's mail can never satisfy another's wait.
"""

from __future__ import annotations

import imaplib
import re
import secrets
import select
import ssl as ssl_module
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from imap_tools import OR, MailboxLoginError, MailMessage
from imap_tools.errors import ImapToolsError
from imap_tools.query import Header
from pydantic import SecretStr

from authprobe.errors import ConfigError, MailConfigError, MailContentError, MailServerStalled, WaitTimeout
from authprobe.oob.imap_deadline import DeadlineMailBox, Deadlines
from authprobe.tls import Trust, certificate_problem
from authprobe.wait import wait_until

__all__ = ["Email", "Inbox", "MailSource"]

T = TypeVar("T")

_URL = re.compile(r"https?://[^\s<>\"'\]\[{}|\\^`]+")
_URL_TRAILING = ".,;:!?)'\""
# Some servers (pymap among them) report mail that arrived between our SEARCH and IDLE only
# once IDLE ends, so IDLE is re-issued this often: it bounds that race for a few ms per slice.
_IDLE_SLICE = 1.0
_POLL_INTERVAL = 0.5  # servers without IDLE: how often to search again


class _HtmlScan(HTMLParser):
    """Collects hrefs (entity-unescaped by the parser) and visible text of an HTML body."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self._text: list[str] = []
        self._skip = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href")
        if tag in ("a", "area") and href:
            self.hrefs.append(href.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(self._text)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def text_links(text: str) -> list[str]:
    """Absolute http(s) links in plain text (mail text parts, SMS bodies), first seen first."""
    return _unique([m.group().rstrip(_URL_TRAILING) for m in _URL.finditer(text)])


def text_codes(text: str, digits: int = 6, pattern: str | None = None) -> list[str]:
    """Standalone one-time codes, ignoring links: numbers of exactly ``digits`` digits, or what
    the profile's ``pattern`` (its `code_pattern`) matches as a whole word.

    A pattern with groups gives the code as its groups joined, so ``([A-Z0-9]{4})-([A-Z0-9]{4})``
    reads "K7QD-92XF" as the "K7QD92XF" an app that prints codes split for reading expects typed
    back; a pattern without groups gives the match as it stands (dash or space included)."""
    text = _URL.sub(" ", text)
    if pattern is None:
        return _unique(re.findall(rf"(?<![\w-])\d{{{digits}}}(?![\w-])", text))
    found = re.finditer(rf"(?<![\w-])(?:{pattern})(?![\w-])", text)
    return _unique(["".join(g for g in m.groups() if g) if m.groups() else m.group() for m in found])


def first_link(links: list[str], pattern: str, where: str) -> str:
    """The first link matching the regex; names the links seen when none does."""
    regex = re.compile(pattern)
    for url in links:
        if regex.search(url):
            return url
    raise MailContentError(f"No link in {where} matches {pattern!r}; links seen: {links or 'none'}.")


@dataclass(frozen=True)
class Email:
    """One received mail, reduced to what tests read from it."""

    to: str
    subject: str
    text: str
    html: str

    def links(self) -> list[str]:
        """Absolute http(s) links from the text part, then the HTML hrefs, first seen first."""
        hrefs = _HtmlScan(self.html).hrefs if self.html else []
        return _unique(text_links(self.text) + [h for h in hrefs if _URL.fullmatch(h)])

    def link(self, pattern: str) -> str:
        """The first link matching the regex; names the links seen when none does."""
        return first_link(self.links(), pattern, f"the mail {self.subject!r} to {self.to}")

    def codes(self, digits: int = 6, pattern: str | None = None) -> list[str]:
        """One-time codes: standalone numbers of exactly ``digits`` digits, or matches of the
        profile's ``[mail] code_pattern`` (letters, digits, split by a dash or space), never
        characters inside links."""
        return text_codes(self.text or (_HtmlScan(self.html).text if self.html else ""), digits, pattern)


def _recipients(msg: MailMessage) -> set[str]:
    """Header recipients plus Delivered-To, so Bcc'd and catch-all mail is matched too."""
    delivered = [str(v).strip() for v in msg.obj.get_all("Delivered-To", [])]
    return {a.casefold() for a in (*msg.to, *msg.cc, *delivered) if a}


class MailStats:
    """How long the run spent waiting for mail, and making sure none came (reported at the end
    of a run: a check that mail does not arrive waits out its whole window by design)."""

    def __init__(self) -> None:
        self.waits = 0
        self.seconds = 0.0
        self.absence_seconds = 0.0

    def record(self, seconds: float) -> None:
        self.waits += 1
        self.seconds += seconds


MAIL_STATS = MailStats()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


# Every address a run hands out carries when the run started, so a later run can tell its
# own leftovers (and their age) from every other account on a shared staging system.
RUN_STAMP = _base36(int(time.time()))


def run_started(email: str, address_base: str) -> float | None:
    """When the run that made `email` started, if it is one of ours for this mailbox base."""
    local, _, domain = address_base.rpartition("@")
    pattern = (rf"^{re.escape(local)}[+-][a-z0-9-]*-[0-9a-f]{{6}}-r([0-9a-z]{{1,8}})"
               rf"@{re.escape(domain)}$")
    found = re.match(pattern, email.lower())
    return float(int(found.group(1), 36)) if found else None


def plus_address(address_base: str, tag: str) -> str:
    """A fresh plus-address under ``address_base``, unique per call and stamped with the run:
    ``qa@x`` -> ``qa+signup-3f2a9c-r<stamp>@x`` (every mail source hands out the same form)."""
    local, _, domain = address_base.rpartition("@")
    clean = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")[:24].strip("-") or "mail"
    glue = "-" if "+" in local else "+"
    return f"{local}{glue}{clean}-{secrets.token_hex(3)}-r{RUN_STAMP}@{domain}"


def checked_address_base(address_base: str) -> str:
    """``address_base`` when it is name@domain, else one sentence naming E2E_MAIL_ADDRESS."""
    local, at, domain = address_base.rpartition("@")
    if not (local and at and domain):
        raise ConfigError(
            f"The mail address {address_base!r} is not of the form name@domain; check E2E_MAIL_ADDRESS."
        )
    return address_base


class MailSource(Protocol):
    """What a run reads mail through: the IMAP `Inbox` or a catcher's HTTP API
    (`authprobe.oob.catcher.CatcherInbox`); flows, checks and provisioning take this.

    One instance per thread, used as a context manager; every wait consumes what it returns,
    and no call outlives its deadline."""

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    @property
    def supports_idle(self) -> bool:
        """Whether waiting is pushed by the server (IMAP IDLE, a catcher's event) or polled."""
        ...

    def address(self, tag: str) -> str: ...

    def wait_for(self, *, to: str, subject: str | None = None, timeout: float = 30.0) -> Email: ...

    def assert_none(self, *, to: str, within: float) -> None: ...


class Inbox:
    """A logged-in IMAP INBOX used as a context manager; one instance per thread.

    ``imap_timeout`` (E2E_IMAP_TIMEOUT) bounds each IMAP stage and opening the mailbox as a
    whole; a wait for mail is bounded as a whole by its own timeout plus one more of it."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: SecretStr,
        *,
        ssl: bool,
        address_base: str,
        imap_timeout: float = 30.0,
        trust: Trust | None = None,
    ) -> None:
        local, _, domain = checked_address_base(address_base).rpartition("@")
        self._host, self._port, self._user = host, port, user
        self._password = password
        self._ssl = ssl
        self._trust = trust or Trust()
        self._local, self._domain = local, domain
        self._imap_timeout = imap_timeout
        self._clock = Deadlines(host, port, imap_timeout)
        self._mailbox: DeadlineMailBox | None = None
        self._idle = False

    def __repr__(self) -> str:
        return f"Inbox({self._user}@{self._host}:{self._port}, ssl={self._ssl})"

    def __enter__(self) -> Self:
        where = f"{self._host}:{self._port}"
        self._clock = clock = Deadlines(self._host, self._port, self._imap_timeout)
        # verified against the system store plus E2E_CA_BUNDLE (imaplib's own default for IMAP
        # over TLS checks nothing); E2E_IGNORE_HTTPS_ERRORS=true is the explicit way out
        tls = self._trust.ssl_context() if self._ssl else None
        with clock.whole(self._imap_timeout):
            try:
                box = DeadlineMailBox(clock, self._host, self._port, tls)
            except ssl_module.SSLError as exc:
                untrusted = certificate_problem(where, exc, self._trust, what="The IMAP server")
                if untrusted is not None:
                    raise MailConfigError(untrusted) from None
                raise MailConfigError(
                    f"TLS with the IMAP server at {where} failed; check E2E_IMAP_SSL and E2E_IMAP_PORT."
                ) from None
            except (OSError, imaplib.IMAP4.error):
                raise MailConfigError(
                    f"Cannot reach the IMAP server at {where}; check E2E_IMAP_HOST and E2E_IMAP_PORT."
                ) from None
            try:
                box.login(self._user, self._password.get_secret_value())
                # The greeting's capabilities predate login; IDLE is often only announced after it.
                _, caps = box.client.capability()
            except MailboxLoginError:
                box.drop()
                raise MailConfigError(
                    f"IMAP login to {where} as {self._user} was refused; "
                    "check E2E_IMAP_USER and E2E_IMAP_PASSWORD."
                ) from None
            except MailServerStalled:
                box.drop()
                raise
            except (OSError, imaplib.IMAP4.error, ImapToolsError):
                box.drop()
                raise MailConfigError(
                    f"The IMAP server at {where} dropped the connection while opening INBOX; "
                    "check that it is healthy and that E2E_IMAP_USER has an INBOX."
                ) from None
        self._idle = b"IDLE" in b" ".join(caps).upper().split()
        self._mailbox = box
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        box, self._mailbox = self._mailbox, None
        if box is None:
            return
        if self._clock.stalled:
            box.drop()
            return
        try:
            with self._clock.whole(self._imap_timeout):
                box.logout()
        except (OSError, imaplib.IMAP4.error, ImapToolsError, MailServerStalled):
            box.drop()

    @property
    def supports_idle(self) -> bool:
        return self._idle

    def address(self, tag: str) -> str:
        """A fresh plus-address, unique per call: ``qa@x`` -> ``qa+signup-3f2a9c@x``."""
        return plus_address(f"{self._local}@{self._domain}", tag)

    def wait_for(self, *, to: str, subject: str | None = None, timeout: float = 30.0) -> Email:
        """Wait for mail to exactly ``to`` whose subject contains ``subject``; consume it.

        Subject matching is a case-insensitive substring so that a staging prefix such as
        ``[staging]`` does not break a profile's subject.
        """
        others: list[str] = []

        def probe() -> Email | None:
            msgs = self._messages_to(to)
            hit = next((m for m in msgs if _subject_matches(m, subject)), None)
            others[:] = [m.subject for m in msgs]
            if hit is None:
                return None
            self._box.delete([str(hit.uid)])
            return Email(to=to, subject=hit.subject, text=hit.text, html=hit.html)

        return wait_for_mail(self._wait, probe, others, to=to, subject=subject, timeout=timeout)

    def assert_none(self, *, to: str, within: float) -> None:
        """Fail if any mail to ``to`` is (or becomes) present during ``within`` seconds."""
        assert_no_mail(self._wait, lambda: [m.subject for m in self._messages_to(to)],
                       to=to, within=within)

    @property
    def _box(self) -> DeadlineMailBox:
        if self._mailbox is None:
            raise RuntimeError("Inbox is not open; use it as a context manager")
        return self._mailbox

    def _messages_to(self, to: str) -> list[MailMessage]:
        """Mail in INBOX addressed exactly to ``to``, oldest first, left unread."""
        self._box.client.noop()  # let the server tell us about mail that arrived meanwhile
        criteria = OR(to=to, header=Header("Delivered-To", to))
        # One FETCH per message: imap-tools' bulk parsing misreads servers (pymap among them)
        # that send UID after the body literal, and an address rarely has more than one mail.
        msgs = self._box.fetch(criteria, mark_seen=False, bulk=False)
        return [m for m in msgs if m.uid and to.casefold() in _recipients(m)]

    def _wait(self, probe: Callable[[], T | None], *, timeout: float, what: str) -> T:
        """IDLE between probes when the server has it, else poll; a dropped link is one sentence.

        Each IMAP stage is bounded by E2E_IMAP_TIMEOUT, and the whole wait by its timeout plus
        one more of it, so a server that trickles its answers ends the wait in one sentence
        (`MailServerStalled`) instead of holding the run."""
        pause = self._idle_pause if self._idle else time.sleep
        interval = _IDLE_SLICE if self._idle else _POLL_INTERVAL
        try:
            with self._clock.whole(timeout + self._imap_timeout):
                return wait_until(probe, timeout=timeout, what=what, interval=interval, pause=pause)
        except WaitTimeout:  # a TimeoutError, hence an OSError: not a dropped connection
            raise
        except (OSError, imaplib.IMAP4.abort, ImapToolsError):
            pass
        raise MailConfigError(
            f"Lost the connection to the IMAP server at {self._host}:{self._port} while "
            f"waiting for {what}; check that it is still running."
        ) from None

    def _idle_pause(self, seconds: float) -> None:
        """Sit in IDLE until the server says anything (or ``seconds`` pass), then leave IDLE.

        Only imap-tools' IDLE start/stop are used: its ``poll`` reads lines from a non-blocking
        socket and aborts on a response that arrives split over two TCP segments.
        """
        idle, client = self._box.idle, self._box.client
        idle.start()  # type: ignore[no-untyped-call]  # unannotated in imap-tools
        try:
            if not client.has_buffered_input():
                select.select([client.sock], [], [], seconds)
        finally:
            if not self._clock.stalled:  # after a stall, DONE would only wait again
                idle.stop()  # type: ignore[no-untyped-call]


Waiter = Callable[..., Any]  # an inbox's `_wait(probe, *, timeout, what)`


def wait_for_mail(wait: Waiter, probe: Callable[[], Email | None], others: list[str], *, to: str,
                  subject: str | None, timeout: float) -> Email:
    """Every source's `wait_for`: `probe` until it finds the mail (it fills `others` with the
    subjects it saw), one sentence naming them when none came, the wait counted."""
    wanted = f"mail to {to}" + (f" with subject {subject!r}" if subject else "")
    started = time.monotonic()
    try:
        found: Email = wait(probe, timeout=timeout, what=wanted)
        return found
    except WaitTimeout:
        seen = f"mail to that address had subjects {others}" if others else "none to it"
        raise WaitTimeout(
            f"No {wanted} arrived within {timeout:g}s ({seen}); check the app's outgoing "
            "mail settings and the profile's mail subjects."
        ) from None
    finally:
        MAIL_STATS.record(time.monotonic() - started)


def assert_no_mail(wait: Waiter, subjects: Callable[[], list[str]], *, to: str, within: float) -> None:
    """Every source's `assert_none`: fail if mail to ``to`` is (or becomes) there within ``within`` s."""
    started = time.monotonic()
    try:
        seen = wait(subjects, timeout=within, what=f"mail to {to}")
    except WaitTimeout:
        return
    finally:
        MAIL_STATS.absence_seconds += time.monotonic() - started
    raise AssertionError(f"Expected no mail to {to} within {within:g}s, got: {seen}")


def _subject_matches(msg: MailMessage, subject: str | None) -> bool:
    return subject is None or subject.casefold() in msg.subject.casefold()
