"""Session truth: what the backend says versus what the UI shows.

The backend side asks the profile's session endpoint with the browser context's
own cookies (`context.request`); the UI side reads the account shell. A
mismatch is the product's core finding, so its message always shows both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import jmespath
import jmespath.exceptions
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, ProxySettings
from playwright.sync_api import Error as PlaywrightError

from authprobe.errors import AuthMismatch, SessionEndpointFailed, SessionProbeError, TargetThrottled
from authprobe.oracle.identity import render, same_shown
from authprobe.profile import SessionProbe


@dataclass(frozen=True)
class SessionView:
    """One side's belief about the session."""

    source: str
    authenticated: bool
    email: str | None = None
    roles: tuple[str, ...] | None = None
    mfa_pending: bool = False
    evidence: str = ""
    shown: str | None = None  # the UI's identity when it shows a name ([identity] shown_as)
    shown_as: str | None = None  # the profile's template for it; None: the UI shows the email
    identity_hidden: bool = False  # this screen shows no identity ([identity] absent_on)

    def describe(self) -> str:
        if not self.authenticated:
            state = "signed out" + (" (MFA pending)" if self.mfa_pending else "")
        elif self.identity_hidden:
            state = "signed in (this screen shows no identity: the backend's is trusted here)"
        else:
            roles = "" if self.roles is None else f" roles={list(self.roles)}"
            who = self.email if self.shown_as is None else f"{self.shown!r} (shown as {self.shown_as})"
            state = f"signed in as {who}{roles}"
        return f"{self.source}: {state} [{self.evidence}]"

    def shows(self, email: str | None) -> bool | None:
        """Whether this side names the user at `email`; None when it cannot say (no identity on
        this screen, or a name whose fields the run does not know)."""
        if self.identity_hidden:
            return None
        if self.shown_as is None:
            return _same_email(self.email, email)
        wanted = render(self.shown_as, email)
        return None if wanted is None else same_shown(self.shown, wanted)


def select(document: Any, expression: str) -> Any:
    """A JMESPath expression (validated when the profile loaded) over one JSON answer.

    A missing member reads as absent (None), inside functions too: apps leave lists out once
    nobody is pending, and `length(pending[...])` over a missing `pending` raises rather than
    giving null. A type error over a member that is there is a wrong expression: one sentence."""
    try:
        return jmespath.search(expression, document)
    except jmespath.exceptions.JMESPathTypeError as exc:
        if exc.actual_type == "null":
            return None
        raise SessionProbeError(
            f"The session_probe expression {expression!r} calls {exc.function_name}() on a "
            f"{exc.actual_type} in the endpoint's answer (it expects {', '.join(exc.expected_types)}); "
            "fix the expression in the target profile.") from None


def _json_answer(status: int, content_type: str, body: str, url: str) -> Any:
    if "json" not in content_type.lower():
        raise SessionProbeError(
            f"The session endpoint {url} answered {content_type or 'no content type'} "
            f"(HTTP {status}), not JSON; set session_probe.url in the target profile "
            "to the endpoint that reports the current session."
        )
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise SessionProbeError(
            f"The session endpoint {url} sent invalid JSON (HTTP {status}); "
            "check session_probe.url in the target profile."
        ) from None


# Statuses an app may plausibly use for "nobody is signed in": a redirect to the sign-in page,
# 401/403, a 404 for "no session", 419/440 (session expired). Only these get the advice to list
# them in signed_out_status; a 5xx never does, since listing it would read a crash as signed out.
PLAUSIBLY_SIGNED_OUT = frozenset({*range(300, 400), 401, 403, 404, 419, 440})


def _server_failed(status: int, url: str) -> None:
    """A 5xx is the backend failing (at preflight or in `doctor`: the run cannot start)."""
    if status >= 500:
        raise SessionProbeError(
            f"The session endpoint {url} answered HTTP {status}: the backend failed, not a "
            "signed-out state; look at the target's server log and fix the target."
        )


def _signed_out(probe: SessionProbe, status: int, url: str) -> bool:
    """Whether the status alone says nobody is signed in; any other non-2xx is a fault."""
    if status in probe.signed_out_status:
        return True
    if status in PLAUSIBLY_SIGNED_OUT:
        raise SessionProbeError(
            f"The session endpoint {url} answered HTTP {status}; if that means 'signed out', list "
            f"{status} in session_probe.signed_out_status, otherwise fix session_probe.url."
        )
    if not 200 <= status < 300:
        raise SessionProbeError(
            f"The session endpoint {url} answered HTTP {status}, not an answer about the "
            "session; check session_probe.url in the target profile and the target itself."
        )
    return False


def _roles(value: Any) -> tuple[str, ...] | None:
    return tuple(sorted(str(r) for r in value)) if isinstance(value, list) else None


def parse_session_answer(
    probe: SessionProbe, status: int, content_type: str, body: str, url: str
) -> SessionView:
    _server_failed(status, url)  # before the body: a crash's HTML page is not a wrong URL
    document = _json_answer(status, content_type, body, url)
    pending = bool(select(document, probe.mfa_pending)) if probe.mfa_pending else False
    evidence = f"GET {url} → {status} {body[:200]}"
    if _signed_out(probe, status, url):
        return SessionView("backend", False, mfa_pending=pending, evidence=evidence)
    authenticated = True if probe.authenticated is None else bool(select(document, probe.authenticated))
    email = select(document, probe.email)
    return SessionView(
        source="backend",
        authenticated=authenticated,
        email=str(email) if email is not None else None,
        roles=_roles(select(document, probe.roles)) if probe.roles_url is None else None,
        mfa_pending=pending,
        evidence=evidence,
    )


def parse_roles_answer(
    probe: SessionProbe, status: int, content_type: str, body: str, url: str
) -> tuple[str, ...] | None:
    """The roles from the second endpoint (`roles_url`); None when it says signed out."""
    _server_failed(status, url)
    document = _json_answer(status, content_type, body, url)
    return None if _signed_out(probe, status, url) else _roles(select(document, probe.roles))


TOO_MANY_REQUESTS = 429


class BackendSession:
    """Reads the session endpoint(s) with the cookies of one browser context.

    A 5xx here is a finding about the target (its session broke during a check), so it fails
    the check with its evidence, instead of the configuration advice preflight gives."""

    def __init__(self, request: APIRequestContext, probe: SessionProbe, timeout_s: float) -> None:
        self._request = request
        self._probe = probe
        self._timeout_ms = timeout_s * 1000

    def _get(self, path: str) -> tuple[int, str, str, str]:
        response = self._request.get(
            path, timeout=self._timeout_ms, max_redirects=0, fail_on_status_code=False
        )
        status, body = response.status, response.text()
        if status == TOO_MANY_REQUESTS:  # the run hit the target's limit: environment, not finding
            raise TargetThrottled(f"The session endpoint {response.url} answered HTTP 429: the "
                                  "target rate-limited the run; slow it with [policy] signin_rate "
                                  "or fewer xdist workers.")
        if status >= 500:
            raise SessionEndpointFailed(
                f"The session endpoint answered HTTP {status} during the check: the backend "
                f"failed, not a signed-out state (a finding about the target; see its server log)"
                f"\n  GET {response.url} → {status} {body[:200]}"
            )
        return status, response.headers.get("content-type", ""), body, response.url

    def read(self) -> SessionView:
        view = parse_session_answer(self._probe, *self._get(self._probe.url))
        if self._probe.roles_url is None or not view.authenticated:
            return view
        status, content_type, body, url = self._get(self._probe.roles_url)
        roles = parse_roles_answer(self._probe, status, content_type, body, url)
        return replace(view, roles=roles, evidence=f"{view.evidence}; GET {url} → {status} {body[:200]}")


    def pick(self, expression: str) -> Any:
        """One value of the session endpoint's JSON answer (a JMESPath expression); None when
        the answer is not JSON or lacks it."""
        _, _, body, _ = self._get(self._probe.url)
        try:
            return select(json.loads(body), expression)
        except ValueError:
            return None


class SessionReader(Protocol):
    """One side's reader: the backend's endpoint here, the UI's shell in pages/account.py."""

    def read(self) -> SessionView: ...


@dataclass(frozen=True)
class Expected:
    """What a step should leave behind; `email=None` with authenticated=True means anyone."""

    authenticated: bool
    email: str | None = None
    roles: tuple[str, ...] | None = field(default=None)


def _same_email(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def find_mismatches(ui: SessionView, backend: SessionView, expected: Expected | None) -> list[str]:
    """What disagrees. A UI side that shows no identity is compared on signed in or out (and
    so on pending steps) only; one that shows a name is compared with the name rendered for
    the backend's user (and the step's)."""
    problems: list[str] = []
    if ui.authenticated != backend.authenticated:
        problems.append("UI and backend disagree on whether anyone is signed in")
    elif ui.authenticated and ui.shows(backend.email) is False:
        problems.append("UI and backend disagree on who is signed in")
    elif ui.authenticated and ui.roles is not None and backend.roles is not None and (
        set(ui.roles) != set(backend.roles)
    ):
        problems.append("UI and backend disagree on the user's roles")
    if expected is not None:
        for side in (ui, backend):
            if side.authenticated != expected.authenticated:
                want = "signed in" if expected.authenticated else "signed out"
                problems.append(f"{side.source} is not {want} as the step expects")
            elif expected.email and side.authenticated and side.shows(expected.email) is False:
                shown = side.email if side.shown_as is None else repr(side.shown)
                wanted = expected.email if side.shown_as is None else repr(render(side.shown_as,
                                                                                  expected.email))
                problems.append(f"{side.source} shows {shown}, expected {wanted}")
            elif (
                expected.roles is not None
                and side.roles is not None
                and set(side.roles) != set(expected.roles)
            ):
                problems.append(f"{side.source} roles {list(side.roles)}, expected {list(expected.roles)}")
    return problems


def assert_consistent(
    ui: SessionView, backend: SessionView, expected: Expected | None = None, *, step: str = ""
) -> None:
    problems = find_mismatches(ui, backend, expected)
    if problems:
        where = f" after step '{step}'" if step else ""
        raise AuthMismatch(
            f"Silent auth mismatch{where}: " + "; ".join(problems) + "\n  "
            + ui.describe() + "\n  " + backend.describe()
        )


def replay_cookies(
    browser: Browser, base_url: str, cookies: list[Any], probe: SessionProbe, timeout_s: float,
    proxy: ProxySettings | None = None, ignore_https_errors: bool = False,
) -> SessionView:
    """Ask the backend about a session using only old cookies, from a brand-new context
    (through `proxy`: from another device's address)."""
    context: BrowserContext = browser.new_context(base_url=base_url, proxy=proxy,
                                                  ignore_https_errors=ignore_https_errors)
    try:
        context.add_cookies(cookies)
        view = BackendSession(context.request, probe, timeout_s).read()
        return SessionView(
            source="backend (replayed cookies)",
            authenticated=view.authenticated,
            email=view.email,
            roles=view.roles,
            mfa_pending=view.mfa_pending,
            evidence=view.evidence,
        )
    except PlaywrightError as exc:
        raise SessionProbeError(
            f"Could not replay cookies against {base_url}{probe.url} ({exc.message.splitlines()[0]})."
        ) from None
    finally:
        context.close()
