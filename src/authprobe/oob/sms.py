"""The test phone: text messages read from an SMS gateway's message list, one number per test.

Apps send SMS through a gateway (Twilio, or one with Twilio's REST API), and the gateway keeps
every message it sent in a list its account can read. A `Phone` reads that list through
Twilio's own client library, the way `Inbox` reads mail over IMAP: matching is on a unique
recipient number, and consumed messages are deleted so one test's text can never satisfy
another's wait. The library is pointed at `api_url` (the sandbox's sink, or a staging gateway)
by setting its API domain's base URL, which is all that differs from Twilio itself. The
library is imported when a phone is made: runs without [sms] never pay for it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from authprobe.errors import ConfigError, SmsConfigError, SmsGatewayStalled, WaitTimeout
from authprobe.oob.mail import MailStats, first_link, text_codes, text_links
from authprobe.profile import E164_PREFIX
from authprobe.tls import Trust, certificate_problem
from authprobe.wait import wait_until
from authprobe.watchdog import SocketWatch, watched_adapter

if TYPE_CHECKING:
    import requests

__all__ = ["Phone", "Sms"]

T = TypeVar("T")

TWILIO_API = "https://api.twilio.com"
SETTING = "E2E_HTTP_TIMEOUT"  # bounds each gateway call, as it bounds each admin API call
_POLL_INTERVAL = 0.2  # a message list has no IDLE: how often to ask again while waiting
_E164_PREFIX = re.compile(E164_PREFIX)
_E164_DIGITS = 15  # the longest number E.164 allows, without the "+"
_NUMBER_DIGITS = 11  # +1 555 0123456: a North American length, unless the prefix is longer


SMS_STATS = MailStats()  # waits for texts, reported with the mail waits at the end of a run


@dataclass(frozen=True)
class Sms:
    """One text message, reduced to what tests read from it."""

    to: str
    body: str

    def codes(self, digits: int = 6, pattern: str | None = None) -> list[str]:
        return text_codes(self.body, digits, pattern)

    def code(self, digits: int = 6, pattern: str | None = None) -> str:
        """The first code (``digits`` digits, or ``pattern``: [sms] code_pattern) in the message;
        names the message when there is none."""
        found = self.codes(digits, pattern)
        if not found:
            kind, key = ((f"{digits}-digit", "code_digits") if pattern is None
                         else (repr(pattern), "code_pattern"))
            raise SmsConfigError(f"The text message to {self.to} holds no {kind} code: "
                                 f"{self.body!r}; check the profile's [sms] {key}.")
        return found[0]

    def links(self) -> list[str]:
        return text_links(self.body)

    def link(self, pattern: str) -> str:
        return first_link(self.links(), pattern, f"the text message to {self.to}")


def _verifying_session(session: requests.Session, verify: bool | str,
                       watch: SocketWatch) -> requests.Session:
    """The gateway client's session, verifying with `verify` (the run's trust: E2E_CA_BUNDLE,
    or nothing under E2E_IGNORE_HTTPS_ERRORS), its sockets recorded in `watch` for the deadline
    of each call. requests lets REQUESTS_CA_BUNDLE replace a session's `verify` for every call
    that does not pass one, and the Twilio client passes none; this session's own choice wins
    (Trust builds it on REQUESTS_CA_BUNDLE when set)."""
    import requests  # noqa: PLC0415 (with the library, see the docstring)

    class Verifying(requests.Session):
        def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            merged: dict[str, Any] = super().merge_environment_settings(*args, **kwargs)
            merged["verify"] = self.verify
            return merged

    verifying = Verifying()
    verifying.verify = verify
    for prefix, adapter in session.adapters.items():  # the client's pool and retries
        verifying.mount(prefix, watched_adapter(adapter, watch))
    return verifying


class Phone:
    """Numbers for tests and the messages the app sent them, read from the gateway's list."""

    def __init__(self, api_url: str, account_sid: str, auth_token: SecretStr, *,
                 prefix: str = "+1555", http_timeout: float = 5.0, trust: Trust | None = None) -> None:
        if not _E164_PREFIX.match(prefix):
            raise ConfigError(f"The phone prefix {prefix!r} is not the start of an E.164 number "
                              "(+ and up to 11 digits); check E2E_PHONE_PREFIX.")
        self._api_url = api_url.rstrip("/")
        self._account_sid = account_sid
        self._prefix = prefix
        self._trust = trust or Trust()
        self._timeout = http_timeout
        self._watch = SocketWatch()
        from twilio.http.http_client import TwilioHttpClient  # noqa: PLC0415 (see the docstring)
        from twilio.rest import Client  # noqa: PLC0415

        http = TwilioHttpClient(timeout=http_timeout)
        http.session = _verifying_session(http.session, self._trust.requests_verify(), self._watch)
        client = Client(account_sid, auth_token.get_secret_value(), http_client=http)
        client.api.base_url = self._api_url
        self._client = client

    def __repr__(self) -> str:
        return f"Phone({self._account_sid}@{self._api_url})"

    @property
    def api_url(self) -> str:
        return self._api_url

    def number(self) -> str:
        """A fresh E.164 number under the prefix, unique per call: +1555 → +15552741903
        (at least four digits of its own; ten million numbers under +1555)."""
        given = len(self._prefix) - 1
        free = min(max(_NUMBER_DIGITS, given + 4), _E164_DIGITS) - given
        return self._prefix + "".join(str(secrets.randbelow(10)) for _ in range(free))

    def check(self) -> None:
        """Prove the gateway answers and takes the account (a one-message list), or stop."""
        self._call(lambda: self._client.messages.list(limit=1))

    def wait_for(self, *, to: str, timeout: float, containing: str | None = None) -> Sms:
        """Wait for a text to exactly ``to`` (with ``containing`` in its body); consume it."""
        seen: list[str] = []

        def probe() -> Sms | None:
            messages = self._messages_to(to)
            seen[:] = [body for _, body in messages]
            hit = next(((sid, body) for sid, body in messages
                        if containing is None or containing.casefold() in body.casefold()), None)
            if hit is None:
                return None
            self._call(lambda: self._client.messages(hit[0]).delete())
            return Sms(to=to, body=hit[1])

        started = time.monotonic()
        wanted = f"text message to {to}" + (f" containing {containing!r}" if containing else "")
        try:
            return wait_until(probe, timeout=timeout, what=wanted, interval=_POLL_INTERVAL)
        except WaitTimeout:
            others = f"texts to that number said {seen}" if seen else "none to it"
            raise WaitTimeout(f"No {wanted} arrived within {timeout:g}s ({others}); check the "
                              "app's SMS gateway settings and the profile's [sms].") from None
        finally:
            SMS_STATS.record(time.monotonic() - started)

    def assert_none(self, *, to: str, within: float) -> None:
        """Fail if any text to ``to`` is (or becomes) present during ``within`` seconds."""
        started = time.monotonic()
        try:
            bodies = wait_until(lambda: [body for _, body in self._messages_to(to)],
                                timeout=within, what=f"texts to {to}", interval=_POLL_INTERVAL)
        except WaitTimeout:
            return
        finally:
            SMS_STATS.absence_seconds += time.monotonic() - started
        raise AssertionError(f"Expected no text message to {to} within {within:g}s, got: {bodies}")

    def _messages_to(self, to: str) -> list[tuple[str, str]]:
        """(sid, body) of the messages sent to exactly ``to``, oldest first."""
        listed = self._call(lambda: self._client.messages.list(to=to, page_size=50))
        # Gateways list the newest first, and their dates have whole seconds: reversing first
        # keeps texts sent within one second in the order they were sent.
        ours = [m for m in reversed(listed) if m.to == to and m.sid and m.body is not None]
        ours.sort(key=lambda m: (m.date_created is None, m.date_created))
        return [(str(m.sid), str(m.body)) for m in ours]

    def _call(self, call: Callable[[], T]) -> T:
        """One gateway call (every page of a list): connect to last byte within E2E_HTTP_TIMEOUT,
        which requests alone cannot do (it bounds each read: a trickled answer never ends)."""
        import requests  # noqa: PLC0415 (with the library, see the docstring)

        deadline = self._watch.deadline(self._timeout)
        try:
            with deadline:
                return call()
        except Exception as exc:
            if deadline.expired or isinstance(exc, requests.Timeout):
                raise self._stalled(exc) from None
            problem = self._problem(exc)
            if problem is None:
                raise
            raise problem from None

    def _stalled(self, exc: Exception) -> SmsGatewayStalled:
        import requests  # noqa: PLC0415 (with the library, see the docstring)

        where, limit = self._api_url, f"{self._timeout:g} s"
        if isinstance(exc, requests.ConnectTimeout):
            return SmsGatewayStalled(
                f"Cannot reach the SMS gateway at {where} within {limit}; check E2E_SMS_API_URL, "
                f"or raise {SETTING} if the gateway is only slow.")
        return SmsGatewayStalled(
            f"The SMS gateway at {where} did not finish answering within {limit}; check that it "
            f"is healthy, or raise {SETTING} if it is only slow.")

    def _problem(self, exc: Exception) -> SmsConfigError | None:
        """The one sentence for a gateway that answered wrong or not at all (None: not its fault)."""
        import requests  # noqa: PLC0415 (with the library, see the docstring)
        from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: PLC0415

        where = self._api_url
        if isinstance(exc, TwilioRestException):
            status, detail = exc.status, exc.msg
        elif isinstance(exc, TwilioException):  # a list page the library could not read
            answer = exc.args[1] if len(exc.args) > 1 else None
            status, detail = getattr(answer, "status_code", 0), str(exc.args[0])
        elif isinstance(exc, requests.exceptions.SSLError):
            return SmsConfigError(certificate_problem(where, exc, self._trust, what="The SMS gateway")
                                  or f"TLS with the SMS gateway at {where} failed ({exc}); check "
                                  "E2E_SMS_API_URL.")
        elif isinstance(exc, requests.RequestException):
            return SmsConfigError(f"Cannot reach the SMS gateway at {where}; check "
                                  "E2E_SMS_API_URL and that the gateway is running.")
        else:
            return None
        if status in (401, 403):
            return SmsConfigError(
                f"The SMS gateway at {where} refused account {self._account_sid} with its "
                "token; check E2E_SMS_ACCOUNT_SID and E2E_SMS_AUTH_TOKEN.")
        return SmsConfigError(f"The SMS gateway at {where} answered {status or 'nothing usable'} "
                              f"({detail}); check E2E_SMS_API_URL.")
