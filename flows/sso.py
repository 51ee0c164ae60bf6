"""Sign-in through the identity provider of `[sso]`: the app's "Sign in with …" button, the
IdP's own screens, back to the app; and the attacker's positions in the front channel.

The redirects between the app and the IdP are one navigation in the browser (every hop an HTTP
3xx), and Playwright routes only the first request of a redirect chain. So to hold the
callback (the IdP's answer carrying the code) or to change the authorization request, the
routes here fetch each document request themselves (`route.fetch`, no redirects followed, the
context's cookies) and follow the redirects one by one with the context's own request client,
until the hop to change or keep shows up. Nothing else in the page is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import APIResponse, Page, Route

from authprobe.errors import FlowError
from authprobe.flows.outcome import first_visible, text_of
from authprobe.flows.session import SignOut
from authprobe.flows.throttle import pace
from authprobe.pages.account import AccountShell
from authprobe.pages.idp import IdpConsentPage, IdpLoginPage, IdpLogoutPage, SsoButton
from authprobe.pages.login import LoginPage, SignInRefusedPage
from authprobe.profile import TargetProfile
from authprobe.target.idp import Discovery

Outcome = Literal["signed_in", "refused", "idp_refused", "idp_error"]
REDIRECTS = (301, 302, 303, 307, 308)
MAX_HOPS = 8  # redirects followed per navigation: more is a loop
HELD_PAGE = ("<!doctype html><title>authprobe: callback held</title>"
             "<h1>authprobe held the identity provider's answer here</h1>")


@dataclass(frozen=True)
class SsoSignIn:
    email: str
    outcome: Outcome
    prompted: bool  # the IdP asked for the password (no IdP session was there)
    message: str | None
    url: str


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def at_idp(page: Page, idp: Discovery) -> bool:
    return origin(page.url) == origin(idp.authorization_endpoint)


def start_sso(page: Page, profile: TargetProfile) -> None:
    """The app's sign-in screen, its "Sign in with …" button: the browser goes to the IdP
    (and straight back when the IdP still has a session)."""
    SsoButton(page, profile).start()


def finish_sso(page: Page, profile: TargetProfile, idp: Discovery, email: str, password: str,
               *, step: str = "sign in with the identity provider") -> SsoSignIn:
    """Answer whatever the IdP shows (its sign-in, its consent) until the browser is back at the
    app or the IdP refuses; then where the app landed."""
    prompted = False
    for _ in range(MAX_HOPS):
        if not at_idp(page, idp):
            return _app_outcome(page, profile, email, prompted, step)
        login, consent = IdpLoginPage(page, profile), IdpConsentPage(page, profile)
        try:
            landed = first_visible(page, {"consent": consent.landmark(), "login": login.landmark()},
                                   step=f"{step}: at the identity provider")
        except FlowError:
            body = page.locator("body").inner_text()[:200] if page.locator("body").count() else ""
            return SsoSignIn(email, "idp_error", prompted, body.strip() or None, page.url)
        if landed == "consent":
            consent.allow()
        elif prompted:  # the same sign-in form again: the IdP refused the password
            return SsoSignIn(email, "idp_refused", prompted, text_of(login.error_alert), page.url)
        else:
            prompted = True
            pace(page, email)
            login.sign_in(email, password)
    raise FlowError(f"After '{step}' the browser went back and forth more than {MAX_HOPS} times "
                    f"between the app and the identity provider; the page is {page.url}.")


def _app_outcome(page: Page, profile: TargetProfile, email: str, prompted: bool, step: str) -> SsoSignIn:
    """Signed in, or refused: on the form, or on a screen of its own ([locators.sign_in_refused]:
    "verify your email first", as a stack may answer an identity whose address is taken)."""
    shell, login = AccountShell(page, profile), LoginPage(page, profile)
    elsewhere = SignInRefusedPage(page, profile).outcomes()
    landed = first_visible(page, {"signed_in": shell.signed_in_mark, "refused": login.error_alert,
                                  **elsewhere}, step=f"{step}: back at the app")
    if landed in elsewhere:
        return SsoSignIn(email, "refused", prompted, text_of(elsewhere[landed]), page.url)
    message = text_of(login.error_alert) if landed == "refused" else None
    return SsoSignIn(email, landed, prompted, message, page.url)  # type: ignore[arg-type]


def sso_sign_in(page: Page, profile: TargetProfile, idp: Discovery, email: str, password: str) -> SsoSignIn:
    """The whole "Sign in with …": button, IdP screens, back at the app."""
    start_sso(page, profile)
    return finish_sso(page, profile, idp, email, password)


def sso_sign_out(page: Page, profile: TargetProfile, idp: Discovery) -> SignOut:
    """Sign out through the app's UI, confirming at the IdP when its end-session page asks,
    until the app shows its signed-out screen; the cookies held before are kept."""
    cookies = list(page.context.cookies())
    shell, login = AccountShell(page, profile), LoginPage(page, profile)
    if shell.reachable("sign_out_button").count() == 0:
        shell.open()
    shell.sign_out()
    if at_idp(page, idp):
        confirm = IdpLogoutPage(page, profile)
        first_visible(page, {"confirm": confirm.landmark()}, step="sign out: at the identity provider")
        confirm.confirm()
    first_visible(page, {"login": login.landmark(), "signed_out": shell.sign_in_link}, step="sign out")
    return SignOut(cookies, page.url)


def idp_prompts(page: Page, profile: TargetProfile, idp: Discovery) -> bool:
    """Press "Sign in with …" again and say whether the IdP asks for the password (True) or
    lets the browser straight back in (False); the form is left unanswered."""
    start_sso(page, profile)
    if not at_idp(page, idp):
        return False
    login = IdpLoginPage(page, profile)
    try:
        first_visible(page, {"login": login.landmark(), "consent": IdpConsentPage(page, profile).landmark()},
                      step="'Sign in with …' again")
    except FlowError:
        return False
    return login.landmark().first.is_visible()


# the attacker's positions -------------------------------------------------------------------


@dataclass
class Held:
    """The IdP's answer to the app (`callback`: the redirect URI with code and state), kept
    from the app; `authorize`: the authorization request the app made."""

    idp: Discovery
    callback: str | None = None
    authorize: str | None = None
    rewrite: dict[str, str] = field(default_factory=dict)  # authorization request parameters to change

    def without(self, name: str) -> str:
        """The held callback without the query parameter `name`."""
        return _with_query(self._held(), lambda query: [(k, v) for k, v in query if k != name])

    def replacing(self, name: str, value: str) -> str:
        return _with_query(self._held(), lambda query: [(k, value if k == name else v) for k, v in query])

    def _held(self) -> str:
        if self.callback is None:
            raise FlowError("the identity provider never sent the browser back to the app, so "
                            "there was no callback to hold")
        return self.callback


def _with_query(url: str, change: Callable[[list[tuple[str, str]]], list[tuple[str, str]]]) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(change(parse_qsl(parts.query, keep_blank_values=True)))))


@contextmanager
def front_channel(page: Page, idp: Discovery, *, hold_callback: bool = False,
                  rewrite: dict[str, str] | None = None) -> Iterator[Held]:
    """Within the block, stand where an attacker in the browser stands: `hold_callback` keeps
    the IdP's answer from reaching the app (the browser shows a placeholder page), `rewrite`
    changes parameters of the app's authorization request on its way to the IdP."""
    held = Held(idp, rewrite=dict(rewrite or {}))
    request = page.context.request

    def follow(route: Route) -> None:
        if route.request.resource_type != "document" or (held.callback and hold_callback):
            route.fallback()
            return
        url, response = route.request.url, route.fetch(max_redirects=0)
        for _ in range(MAX_HOPS):
            if response.status not in REDIRECTS:
                break
            target = _resolve(url, response)
            if target.startswith(idp.authorization_endpoint):
                held.authorize = target = _rewritten(target, held.rewrite)
            elif held.authorize and hold_callback and _is_callback(target, held.authorize):
                held.callback = target
                route.fulfill(status=200, content_type="text/html", body=HELD_PAGE)
                return
            url, response = target, request.get(target, max_redirects=0, fail_on_status_code=False)
        if url == route.request.url:
            route.fulfill(response=response)
        else:  # a page further down the chain: the browser loads it itself
            route.fulfill(status=302, headers={"location": url})

    page.route(  # audit: allow the attacker's place in the front channel; real answers pass through
        "**/*", follow)
    try:
        yield held
    finally:
        page.unroute("**/*", follow)


def _resolve(url: str, response: APIResponse) -> str:
    location = response.headers.get("location", "")
    if not location:
        return url
    if location.startswith(("http://", "https://")):
        return location
    parts = urlsplit(url)
    if location.startswith("/"):
        return f"{parts.scheme}://{parts.netloc}{location}"
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/{location}"


def _rewritten(authorize: str, rewrite: dict[str, str]) -> str:
    if not rewrite:
        return authorize
    return _with_query(authorize, lambda query: [(k, rewrite.get(k, v)) for k, v in query])


def _is_callback(url: str, authorize: str) -> bool:
    """Whether `url` is the app's redirect URI, as its authorization request named it."""
    redirect_uri = dict(parse_qsl(urlsplit(authorize).query)).get("redirect_uri")
    return bool(redirect_uri) and url.split("?", 1)[0] == redirect_uri
