"""The sandbox as an OpenID Connect relying party ("Sign in with Authprobe ID"), against the
real IdP sidecar (django-oauth-toolkit) in test mode.

Each app runs under uvicorn on a free port; a requests session is the browser, following
redirects between the app and the IdP by hand so a test can stop at the callback and
tamper with it, and signing in on the IdP's own form (its CSRF token included). Every
check is a function that asserts one invariant; the clean app passes it and the app with
the seeded defect it names fails that same assertion.
"""

from __future__ import annotations

import html
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from authprobe.cli.sandbox import sandbox_banner
from authprobe.errors import TokenRefused
from authprobe.sandbox import CATALOGUE, SandboxConfig, create_app
from authprobe.sandbox.db import SsoSession
from authprobe.sandbox.sso_tokens import Jwks
from tests.served_app import ServedApp

sidecar = pytest.importorskip("authprobe.sandbox.idp.sidecar")
if sidecar.idp_missing():
    pytest.skip(sidecar.idp_missing(), allow_module_level=True)

PASSWORD = secrets.token_urlsafe(18)  # fresh per run, like every secret here
ADMIN_TOKEN, HOOK_TOKEN = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
CLIENT_SECRET = secrets.token_urlsafe(24)
APP_ADMIN_TOKEN = secrets.token_urlsafe(24)
FAILED = "Sign-in with Authprobe ID failed"
_ids = count()


# --- infrastructure ---------------------------------------------------------------------


@dataclass
class Idp:
    running: Any  # sidecar.RunningIdp
    subs: dict[str, str] = field(default_factory=dict)  # email → the IdP's sub

    def call(self, method: str, path: str, body: Any = None, *, hook: bool = False) -> requests.Response:
        headers = {"X-Test-Hook-Token": HOOK_TOKEN} if hook else {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        answer = requests.request(method, self.running.url + path, json=body, headers=headers, timeout=10)
        assert answer.status_code < 300, f"IdP {method} {path}: {answer.status_code} {answer.text[:200]}"
        return answer

    def user(self, *, verified: bool = True, email: str | None = None) -> str:
        email = email or f"sso{next(_ids)}-{time.monotonic_ns()}@idp.test"
        made = self.call("POST", "/api/admin/users", {"email": email, "password": PASSWORD,
                                                      "email_verified": verified})
        self.subs[email] = made.json()["sub"]
        return email

    def sessions(self, email: str) -> int:
        return int(self.call("GET", f"/api/admin/users/{email}/sessions").json()["sessions"])


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    client = sidecar.IdpClient(client_id="authprobe-sandbox", client_secret=CLIENT_SECRET,
                               # loopback redirect URIs match on any port (RFC 8252 7.3)
                               redirect_uris=("http://127.0.0.1/sso/callback",),
                               post_logout_redirect_uris=("http://127.0.0.1/login?signed_out=1",))
    running = sidecar.start_idp("127.0.0.1", client, admin_token=ADMIN_TOKEN, hook_token=HOOK_TOKEN,
                                test_mode=True, access_token_ttl=5, jwks_max_age=3)
    yield Idp(running)
    running.stop()


class App:
    """create_app(config) with SSO, served by uvicorn in a thread."""

    def __init__(self, idp: Idp, defects: frozenset[str] = frozenset()) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.idp = idp
        config = SandboxConfig(
            base_url=self.base, admin_token=APP_ADMIN_TOKEN, test_mode=True, hash_profile="fast",
            defects=defects, idp_issuer=idp.running.issuer, idp_discovery_url=idp.running.discovery_url,
            idp_client_secret=CLIENT_SECRET)
        self.app = create_app(config)
        self._served = ServedApp(self.app, sock)

    def stop(self) -> None:
        self._served.stop()
        self.app.state.engine.dispose()

    def session(self, browser: requests.Session) -> dict[str, Any]:
        data = browser.get(self.base + "/api/session", timeout=10).json()
        assert isinstance(data, dict)
        return data

    def sso_row(self, email: str) -> SsoSession:
        """The newest SSO session of this IdP user."""
        with Session(self.app.state.engine) as db:
            rows = db.scalars(select(SsoSession).where(SsoSession.sub == self.idp.subs[email])).all()
            assert rows, f"no SSO session of {email}"
            return max(rows, key=lambda row: row.access_expires_at)

    def expire_access_tokens(self) -> None:
        """As if the access tokens' lifetime had passed (the one real wait is in its own test)."""
        with Session(self.app.state.engine) as db:
            db.execute(update(SsoSession).values(access_expires_at=0.0))
            db.commit()


@pytest.fixture(scope="module")
def app(idp: Idp) -> Iterator[App]:
    served = App(idp)
    yield served
    served.stop()


@pytest.fixture
def make_app(idp: Idp) -> Iterator[Callable[..., App]]:
    made: list[App] = []

    def make(*defects: str) -> App:
        made.append(App(idp, frozenset(defects)))
        return made[-1]

    yield make
    for served in made:
        served.stop()


def _form_fields(page: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page)}


def to_callback(app: App, browser: requests.Session, email: str,
                tamper: Callable[[str], str] = lambda url: url) -> str:
    """Start "Sign in with Authprobe ID", sign in on the IdP's form when it asks, and return
    the callback URL the IdP sends the browser to (not yet visited). `tamper` may change
    the authorize URL the app sent the browser to."""
    answer = browser.get(app.base + "/sso/start", allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), f"/sso/start: {answer.status_code} {answer.text[:300]}"
    url = tamper(answer.headers["Location"])
    for _ in range(10):
        if url.startswith(app.base + "/sso/callback"):
            return url
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and "Sign in to Authprobe ID" in answer.text:
            fields = {**_form_fields(answer.text), "username": email, "password": PASSWORD}
            answer = browser.post(answer.url, data=fields, allow_redirects=False, timeout=10)
        assert answer.status_code in (301, 302, 303), f"{url}: {answer.status_code} {answer.text[:300]}"
        url = urljoin(url, answer.headers["Location"])
    raise AssertionError(f"the IdP never sent the browser back to the app (last: {url})")


def sign_in(app: App, browser: requests.Session, email: str) -> requests.Response:
    """The whole sign-in; the callback's own answer."""
    return browser.get(to_callback(app, browser, email), allow_redirects=False, timeout=10)


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def assert_refused(app: App, browser: requests.Session, answer: requests.Response, invariant: str) -> None:
    signed_in = app.session(browser)
    assert answer.status_code == 400 and FAILED in answer.text and not signed_in["authenticated"], (
        f"{invariant}: callback answered {answer.status_code} "
        f"{re.findall(r'role=.alert.>([^<]*)', answer.text)}; session endpoint: {signed_in}")


def assert_signed_in(app: App, browser: requests.Session, answer: requests.Response, email: str) -> None:
    session = app.session(browser)
    alert = re.findall(r'role="alert">([^<]*)', answer.text)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account", (
        f"SSO sign-in of {email} failed: {answer.status_code} {alert}")
    assert session["authenticated"] and session["user"] == {
        "email": email, "roles": ["member"], "signed_in_with": "authprobe-id", "second_factor": None}, session


# --- the checks: each one invariant, shared by the clean and the defect tests -------------


def check_state_is_checked(app: App) -> None:
    for state in (None, "not-the-state-this-browser-was-sent-with"):
        browser = requests.Session()
        url = to_callback(app, browser, app.idp.user())
        answer = browser.get(with_query(url, state=state), allow_redirects=False, timeout=10)
        assert_refused(app, browser, answer, f"a callback with state {state!r} must sign nobody in")


def check_nonce_is_checked(app: App) -> None:
    browser = requests.Session()
    url = to_callback(app, browser, app.idp.user(), tamper=lambda u: with_query(u, nonce="forged"))
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert_refused(app, browser, answer, "an ID token with another sign-in's nonce must be refused")


def check_tampered_id_token_refused(app: App, tamper: str) -> None:
    browser, email = requests.Session(), app.idp.user()
    app.idp.call("POST", "/__test__/next-id-token", {"email": email, "tamper": tamper}, hook=True)
    answer = sign_in(app, browser, email)
    assert_refused(app, browser, answer, f"an ID token with a bad {tamper} must be refused")


def check_sign_in_after_rotation(app: App) -> None:
    first, second = requests.Session(), requests.Session()
    assert_signed_in(app, first, sign_in(app, first, email := app.idp.user()), email)
    app.idp.call("POST", "/api/admin/keys/rotate")
    assert_signed_in(app, second, sign_in(app, second, email := app.idp.user()), email)


def check_unverified_email_not_linked(app: App) -> None:
    email = f"local{next(_ids)}-{time.monotonic_ns()}@sandbox.test"
    made = requests.post(app.base + "/api/admin/users", json={"email": email, "password": PASSWORD},
                         headers={"Authorization": f"Bearer {APP_ADMIN_TOKEN}"}, timeout=10)
    assert made.status_code == 201, made.text
    app.idp.user(email=email, verified=False)
    browser = requests.Session()
    answer = sign_in(app, browser, email)
    assert_refused(app, browser, answer, "an unverified IdP email must never sign in as the local account")
    assert "an account with this email already exists" in answer.text


def check_sign_out_ends_both_sessions(app: App) -> None:
    browser, email = requests.Session(), app.idp.user()
    assert_signed_in(app, browser, sign_in(app, browser, email), email)
    cookie = browser.cookies.get("authprobe_session")
    page = browser.get(app.base + "/account", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = browser.post(app.base + "/logout", data={"csrf_token": token.group(1)}, timeout=10)
    assert answer.url.startswith(app.base + "/login?signed_out=1"), answer.url
    stale = requests.Session()
    stale.cookies.set("authprobe_session", cookie or "")
    assert not app.session(stale)["authenticated"], "after sign-out the old session id still works"
    assert app.idp.sessions(email) == 0, "after the app's sign-out the IdP session is still alive"


def check_revocation_ends_session(app: App) -> None:
    browser, email = requests.Session(), app.idp.user()
    assert_signed_in(app, browser, sign_in(app, browser, email), email)
    app.idp.call("POST", f"/api/admin/users/{email}/sign-out")
    app.expire_access_tokens()
    page = browser.get(app.base + "/account", timeout=10)
    assert "Your session has expired" in page.text and not app.session(browser)["authenticated"], (
        f"after the IdP revoked the user's tokens the app session survived its refresh ({page.url})")


CHECKS: dict[str, Callable[[App], None]] = {
    "sso_state_unchecked": check_state_is_checked,
    "sso_nonce_unchecked": check_nonce_is_checked,
    "sso_audience_unchecked": lambda app: check_tampered_id_token_refused(app, "audience"),
    "sso_signature_unchecked": lambda app: check_tampered_id_token_refused(app, "signature"),
    "sso_jwks_cached_forever": check_sign_in_after_rotation,
    "sso_links_unverified_email": check_unverified_email_not_linked,
    "sso_logout_keeps_backend_session": check_sign_out_ends_both_sessions,
    "sso_logout_skips_idp": check_sign_out_ends_both_sessions,
    "sso_revocation_ignored": check_revocation_ends_session,
}
# how each defect's check fails: the invariant it names, not some earlier step
BROKEN = {
    "sso_state_unchecked": "a callback with state None must sign nobody in",
    "sso_nonce_unchecked": "another sign-in's nonce",
    "sso_audience_unchecked": "a bad audience must be refused",
    "sso_signature_unchecked": "a bad signature must be refused",
    "sso_jwks_cached_forever": "SSO sign-in of .* failed: 400",
    "sso_links_unverified_email": "never sign in as the local account",
    "sso_logout_keeps_backend_session": "the old session id still works",
    "sso_logout_skips_idp": "the IdP session is still alive",
    "sso_revocation_ignored": "survived its refresh",
}


def test_every_sso_defect_has_a_check() -> None:
    assert set(CHECKS) == set(BROKEN) == {name for name in CATALOGUE if name.startswith("sso_")}


def test_jwks_cached_per_max_age_and_refetched_once_for_an_unknown_key() -> None:
    keys = [RSAKey.generate_key(2048, parameters={"kid": kid}) for kid in ("one", "two")]
    published, fetched = [keys[0]], []

    def fetch() -> tuple[dict[str, Any], str | None]:
        fetched.append(len(published))
        return {"keys": [key.as_dict(private=False) for key in published]}, "public, Max-Age=60"

    jwks, forever = Jwks(fetch), Jwks(fetch, forever=True)
    for cache in (jwks, forever):
        cache.key_for("one")
        cache.key_for("one")
    assert fetched == [1, 1], "a key set within its max-age was fetched again"
    published.append(keys[1])
    jwks.key_for("two")
    assert fetched == [1, 1, 2], "an unknown key id did not fetch the key set again"
    with pytest.raises(TokenRefused):
        forever.key_for("two")
    with pytest.raises(TokenRefused):
        jwks.key_for("never-published")
    assert fetched == [1, 1, 2, 2], "an unknown key id fetched more than once"


def test_banner_names_the_idp() -> None:
    ready = {"base_url": "http://127.0.0.1:1", "imap_host": "h", "imap_port": 2, "imap_user": "u",
             "mail_address": "u", "smtp_port": 3, "test_mode": True, "idp_url": "http://127.0.0.1:4"}
    exports = "E2E_IDP_URL=http://127.0.0.1:4 E2E_IDP_ADMIN_TOKEN=… E2E_IDP_HOOK_TOKEN=…"
    assert exports in sandbox_banner(ready)
    assert "IDP" not in sandbox_banner({k: v for k, v in ready.items() if k != "idp_url"})


# --- the clean app ----------------------------------------------------------------------


def test_sso_sign_in_says_who_and_how(app: App) -> None:
    browser, email = requests.Session(), app.idp.user()
    assert "Sign in with Authprobe ID" in browser.get(app.base + "/login", timeout=10).text
    before = browser.cookies.get("authprobe_session")
    assert_signed_in(app, browser, sign_in(app, browser, email), email)
    assert browser.cookies.get("authprobe_session") != before, "the session id was not rotated at sign-in"


@pytest.mark.parametrize("defect", sorted(CHECKS))
def test_clean_app_keeps_the_invariant(app: App, defect: str) -> None:
    CHECKS[defect](app)


@pytest.mark.parametrize("tamper", ["issuer", "expired"])
def test_id_token_with_bad_claims_refused(app: App, tamper: str) -> None:
    check_tampered_id_token_refused(app, tamper)


def test_replayed_code_signs_nobody_in(app: App) -> None:
    victim = requests.Session()
    used = to_callback(app, victim, app.idp.user())
    assert victim.get(used, allow_redirects=False, timeout=10).status_code == 303
    attacker = requests.Session()
    started = attacker.get(app.base + "/sso/start", allow_redirects=False, timeout=10)
    state = dict(parse_qsl(urlsplit(started.headers["Location"]).query))["state"]
    answer = attacker.get(with_query(used, state=state), allow_redirects=False, timeout=10)
    assert_refused(app, attacker, answer, "a used authorization code must not sign in again")


def test_retired_key_refused(make_app: Callable[..., App], idp: Idp) -> None:
    idp.call("POST", "/api/admin/keys/rotate")
    idp.call("POST", "/api/admin/keys/retire")
    check_tampered_id_token_refused(make_app(), "retired_key")  # a fresh app: no key cached yet


def test_verified_email_links_existing_account(app: App) -> None:
    email = f"linked{next(_ids)}-{time.monotonic_ns()}@sandbox.test"
    made = requests.post(app.base + "/api/admin/users", json={"email": email, "password": PASSWORD},
                         headers={"Authorization": f"Bearer {APP_ADMIN_TOKEN}"}, timeout=10)
    assert made.status_code == 201, made.text
    app.idp.user(email=email, verified=True)
    browser = requests.Session()
    assert_signed_in(app, browser, sign_in(app, browser, email), email)
    users = requests.get(app.base + "/api/admin/users", timeout=10,
                         headers={"Authorization": f"Bearer {APP_ADMIN_TOKEN}"}).json()["users"]
    assert [u["email"] for u in users].count(email) == 1


def test_refresh_after_access_token_ttl_and_revocation(app: App) -> None:
    """The one real wait: access tokens live 5 s in test mode."""
    kept, revoked = requests.Session(), requests.Session()
    assert_signed_in(app, kept, sign_in(app, kept, kept_email := app.idp.user()), kept_email)
    assert_signed_in(app, revoked, sign_in(app, revoked, revoked_email := app.idp.user()), revoked_email)
    before = app.sso_row(kept_email)
    app.idp.call("POST", f"/api/admin/users/{revoked_email}/disable")
    time.sleep(5.5)
    assert app.session(kept)["authenticated"], "a live SSO session ended at its access token's refresh"
    assert not app.session(revoked)["authenticated"], "a user disabled at the IdP is still signed in"
    after = app.sso_row(kept_email)
    assert after.refresh_token != before.refresh_token and after.access_expires_at > time.time(), (
        "the access token was not refreshed (refresh token not rotated)")


def test_idp_down_keeps_session(app: App) -> None:
    browser, email = requests.Session(), app.idp.user()
    assert_signed_in(app, browser, sign_in(app, browser, email), email)
    app.expire_access_tokens()
    app.idp.call("POST", "/__test__/outage", {"seconds": 30}, hook=True)
    try:
        assert app.session(browser)["authenticated"], "an IdP outage ended the app session"
    finally:
        app.idp.call("POST", "/__test__/outage", {"seconds": 0}, hook=True)
    assert app.session(browser)["authenticated"]
    assert app.sso_row(email).access_expires_at > time.time(), "not refreshed once the IdP answered"


# --- each seeded defect fails the check that names it -----------------------------------


@pytest.mark.parametrize("defect", sorted(CHECKS))
def test_defect_breaks_the_invariant(make_app: Callable[..., App], defect: str) -> None:
    with pytest.raises(AssertionError, match=BROKEN[defect]):
        CHECKS[defect](make_app(defect))
