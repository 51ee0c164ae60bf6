"""The sandbox as a WebAuthn relying party (passkeys): src/authprobe/sandbox/passkeys.py.

Each app runs under uvicorn on a free port and is reached as http://localhost:PORT (WebAuthn
refuses an IP address as RP ID). A requests session is the browser and a small software
authenticator (fido2's CBOR structures, an EC P-256 key) answers its ceremonies, so the
option and refusal logic is checked without a browser; one test drives real Chromium with its
virtual authenticator (DevTools' WebAuthn domain) to prove the page's JS and the RP ID work.
Each seeded `passkey_*` defect is seen turning a refusal into an acceptance.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)
from playwright.sync_api import Browser, Playwright, expect

from authprobe.sandbox import SandboxConfig, create_app
from authprobe.sandbox.accounts import find_user, issue_token
from tests.served_app import ServedApp

PASSWORD = secrets.token_urlsafe(18)
ADMIN_TOKEN = secrets.token_urlsafe(24)
_ids = count()
FLAG = AuthenticatorData.FLAG


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- a software authenticator -------------------------------------------------------------------


@dataclass
class Credential:
    key: ec.EllipticCurvePrivateKey
    user_handle: bytes
    counter: int = 0


@dataclass
class SoftAuthenticator:
    """Answers navigator.credentials.create/get as Chromium's toJSON() shows them."""

    origin: str
    rp_id: str = "localhost"
    credentials: dict[str, Credential] = field(default_factory=dict)

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        key = ec.generate_private_key(ec.SECP256R1())
        raw_id = secrets.token_bytes(16)
        self.credentials[b64(raw_id)] = Credential(key, unb64(options["user"]["id"]))
        public_key = ES256.from_cryptography_key(key.public_key())  # type: ignore[no-untyped-call]
        attested = AttestedCredentialData.create(b"\0" * 16, raw_id, public_key)
        auth = AuthenticatorData.create(hashlib.sha256(self.rp_id.encode()).digest(),
                                        FLAG.UP | FLAG.UV | FLAG.AT, 0, bytes(attested))
        client = CollectedClientData.create("webauthn.create", unb64(options["challenge"]), self.origin)
        return {"id": b64(raw_id), "rawId": b64(raw_id), "type": "public-key",
                "authenticatorAttachment": "platform", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64(bytes(client)),
                             "attestationObject": b64(bytes(AttestationObject.create("none", auth, {}))),
                             "transports": ["internal"]}}

    def get(self, options: dict[str, Any], credential_id: str | None = None,
            counter: int | None = None) -> dict[str, Any]:
        """An assertion by `credential_id` (default: the first allowed one this holds, or any);
        `counter` forces the sign count (a clone's)."""
        allowed = [c["id"] for c in options.get("allowCredentials", [])]
        chosen = credential_id or next((c for c in self.credentials if not allowed or c in allowed), None)
        assert chosen is not None, f"no credential for {allowed}"
        credential = self.credentials[chosen]
        credential.counter = credential.counter + 1 if counter is None else counter
        auth = bytes(AuthenticatorData.create(hashlib.sha256(self.rp_id.encode()).digest(),
                                              FLAG.UP | FLAG.UV, credential.counter))
        client = bytes(CollectedClientData.create("webauthn.get", unb64(options["challenge"]), self.origin))
        signature = credential.key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": chosen, "rawId": chosen, "type": "public-key", "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64(client), "authenticatorData": b64(auth),
                             "signature": b64(signature), "userHandle": b64(credential.user_handle)}}


# --- the app ------------------------------------------------------------------------------------


class App:
    """create_app(config) under uvicorn in a thread, reached as http://localhost:PORT."""

    def __init__(self, defects: frozenset[str] = frozenset(), shapes: frozenset[str] = frozenset()) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.base = f"http://localhost:{sock.getsockname()[1]}"
        self.app = create_app(SandboxConfig(base_url=self.base, admin_token=ADMIN_TOKEN, hash_profile="fast",
                                            defects=defects, shapes=shapes))
        self._served = ServedApp(self.app, sock)

    def stop(self) -> None:
        self._served.stop()
        self.app.state.engine.dispose()

    def user(self) -> str:
        email = f"pk{next(_ids)}-{time.monotonic_ns()}@example.test"
        made = requests.post(self.base + "/api/admin/users", json={"email": email, "password": PASSWORD},
                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
        assert made.status_code == 201 or made.ok, made.text
        return email

    def browser(self) -> Browser_:
        return Browser_(self, requests.Session(), SoftAuthenticator(self.base))


@dataclass
class Browser_:  # noqa: N801 (not Playwright's Browser)
    """A requests session as a browser, with its own software authenticator."""

    app: App
    http: requests.Session
    authenticator: SoftAuthenticator

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.app.base + path, allow_redirects=False, timeout=10)

    def csrf(self, path: str) -> str:
        page = self.http.get(self.app.base + path, timeout=10).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
            r'data-csrf="([^"]+)"', page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post_form(self, path: str, page: str, **fields: str) -> requests.Response:
        return self.http.post(self.app.base + path, data={"csrf_token": self.csrf(page), **fields},
                              allow_redirects=False, timeout=10)

    def post_json(self, path: str, csrf: str, body: dict[str, Any]) -> requests.Response:
        return self.http.post(self.app.base + path, json=body, headers={"X-CSRF-Token": csrf}, timeout=10)

    def sign_in(self, email: str) -> requests.Response:
        return self.post_form("/login", "/login", email=email, password=PASSWORD)

    def session(self) -> dict[str, Any]:
        data = self.get("/api/session").json()
        assert isinstance(data, dict)
        return data

    def confirm_password(self) -> None:
        answer = self.post_form("/account/passkeys/reauth", "/account/passkeys/reauth?next=/account/passkeys",
                                next="/account/passkeys", password=PASSWORD)
        assert answer.headers.get("location") == "/account/passkeys", answer.text[:300]

    def add_passkey(self) -> requests.Response:
        """Options then the new credential; the registration's answer."""
        csrf = self.csrf("/account/passkeys")
        options = self.post_json("/account/passkeys/options", csrf, {})
        assert options.ok, f"registration options: {options.status_code} {options.text[:200]}"
        return self.post_json("/account/passkeys", csrf, self.authenticator.create(options.json()))

    def assertion(self, options_path: str, page: str, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        csrf = self.csrf(page)
        options = self.post_json(options_path, csrf, {})
        assert options.ok, f"{options_path}: {options.status_code} {options.text[:200]}"
        return csrf, self.authenticator.get(options.json(), **kwargs)

    def passwordless(self, **kwargs: Any) -> tuple[requests.Response, dict[str, Any]]:
        csrf, body = self.assertion("/login/passkey/options", "/login", **kwargs)
        return self.post_json("/login/passkey", csrf, body), body


@pytest.fixture
def make_app() -> Iterator[Callable[..., App]]:
    made: list[App] = []

    def make(*defects: str, shapes: frozenset[str] = frozenset()) -> App:
        made.append(App(frozenset(defects), shapes))
        return made[-1]

    yield make
    for app in made:
        app.stop()


def with_passkey(app: App) -> tuple[str, Browser_]:
    """A user signed in by password who has registered one passkey."""
    email, device = app.user(), app.browser()
    assert device.sign_in(email).headers["location"] == "/account"
    device.confirm_password()
    added = device.add_passkey()
    assert added.ok, f"registration refused: {added.status_code} {added.text}"
    return email, device


def fresh_device(app: App, holder: Browser_) -> Browser_:
    """Another browser whose authenticator holds the same credentials (as a synced passkey)."""
    device = app.browser()
    device.authenticator.credentials = holder.authenticator.credentials
    return device


# --- registration ---------------------------------------------------------------------------------


def test_adding_a_passkey_needs_the_password_again(make_app: Callable[..., App]) -> None:
    for defect, prompted in ((None, True), ("passkey_no_reauth", False)):
        app = make_app(*([defect] if defect else []))
        device = app.browser()
        device.sign_in(app.user())
        csrf = device.csrf("/account/passkeys")
        options = device.post_json("/account/passkeys/options", csrf, {})
        if prompted:
            assert (options.status_code, options.json()) == (
                403, {"reauth": "/account/passkeys/reauth?next=/account/passkeys"})
            device.confirm_password()
            options = device.post_json("/account/passkeys/options", csrf, {})
        assert options.ok, f"{defect}: {options.status_code} {options.text[:200]}"
        listed = options.json()
        assert listed["authenticatorSelection"]["residentKey"] == "required"
        assert listed["authenticatorSelection"]["userVerification"] == "preferred"
        assert listed["rp"]["id"] == "localhost" and listed["excludeCredentials"] == []
        added = device.post_json("/account/passkeys", csrf, device.authenticator.create(listed))
        assert added.json() == {"next": "/account/passkeys?added=1"}, added.text
        page = device.get("/account/passkeys?added=1").text
        assert '<div role="status">Passkey added.</div>' in page and "Remove Passkey 1" in page
        again = device.post_json("/account/passkeys/options", csrf, {}).json()
        assert [c["id"] for c in again["excludeCredentials"]] == list(device.authenticator.credentials)


def test_the_reauth_shape_keeps_its_own_prompt(make_app: Callable[..., App]) -> None:
    app = make_app(shapes=frozenset({"reauth"}))
    device = app.browser()
    device.sign_in(app.user())
    options = device.post_json("/account/passkeys/options", device.csrf("/account/passkeys"), {})
    assert options.json() == {"reauth": "/account/reauth?next=/account/passkeys"}
    assert device.get("/account/passkeys/reauth").status_code == 404


def test_a_registration_answer_counts_once(make_app: Callable[..., App]) -> None:
    app = make_app()
    device = app.browser()
    device.sign_in(app.user())
    device.confirm_password()
    csrf = device.csrf("/account/passkeys")
    options = device.post_json("/account/passkeys/options", csrf, {}).json()
    answer = device.authenticator.create(options)
    assert device.post_json("/account/passkeys", csrf, answer).ok
    again = device.post_json("/account/passkeys", csrf, answer)
    assert again.status_code == 400 and "already used" in again.json()["error"]
    assert device.post_json("/account/passkeys/options", "wrong", {}).status_code == 403


# --- passwordless sign-in -------------------------------------------------------------------------


def test_passwordless_sign_in_says_passkey_and_rotates_the_session(make_app: Callable[..., App]) -> None:
    app = make_app()
    email, holder = with_passkey(app)
    device = fresh_device(app, holder)
    device.get("/login")
    before = device.http.cookies.get("authprobe_session")
    answer, _ = device.passwordless()
    assert answer.json() == {"next": "/account"}, answer.text
    assert device.http.cookies.get("authprobe_session") != before
    session = device.session()
    assert session["authenticated"] and session["user"]["email"] == email
    assert (session["user"]["signed_in_with"], session["user"]["second_factor"]) == ("passkey", None)
    password_session = holder.session()["user"]
    assert (password_session["signed_in_with"], password_session["second_factor"]) == ("password", None)


@pytest.mark.parametrize("defect", [None, "passkey_challenge_reused"])
def test_a_used_challenge_is_refused(make_app: Callable[..., App], defect: str | None) -> None:
    """The very same body again is refused by its sign count as well; a new assertion over the
    old challenge (a replayed options answer) shows whether the challenge itself was used up."""
    app = make_app(*([defect] if defect else []))
    _, holder = with_passkey(app)
    device = fresh_device(app, holder)
    csrf = device.csrf("/login")
    options = device.post_json("/login/passkey/options", csrf, {}).json()
    body = device.authenticator.get(options)
    assert device.post_json("/login/passkey", csrf, body).ok
    same_body = device.post_json("/login/passkey", device.csrf("/login"), body)
    assert same_body.status_code == 400, same_body.text
    again = device.authenticator.get(options)  # a new signature over the used challenge
    same_browser = device.post_json("/login/passkey", device.csrf("/login"), again)
    thief = app.browser()
    thief.authenticator.credentials = holder.authenticator.credentials
    other_browser = thief.post_json("/login/passkey", thief.csrf("/login"), thief.authenticator.get(options))
    if defect is None:
        assert same_browser.status_code == other_browser.status_code == 400
        assert "already used" in same_browser.json()["error"]
        assert not thief.session()["authenticated"]
    else:
        assert same_browser.ok and other_browser.ok and thief.session()["authenticated"]


@pytest.mark.parametrize("defect", [None, "passkey_sign_count_ignored"])
def test_a_sign_count_going_backwards_is_refused(make_app: Callable[..., App], defect: str | None) -> None:
    app = make_app(*([defect] if defect else []))
    _, holder = with_passkey(app)
    assert fresh_device(app, holder).passwordless(counter=5)[0].ok
    clone = fresh_device(app, holder)
    answer, _ = clone.passwordless(counter=3)
    if defect is None:
        assert answer.status_code == 400 and "cloned authenticator" in answer.json()["error"]
        assert not clone.session()["authenticated"]
    else:
        assert answer.ok and clone.session()["authenticated"]


def test_an_unknown_passkey_signs_nobody_in(make_app: Callable[..., App]) -> None:
    app = make_app()
    stranger = app.browser()
    stranger.authenticator.create({"user": {"id": b64(b"nobody")}, "challenge": b64(b"x")})
    answer, _ = stranger.passwordless()
    assert answer.status_code == 400 and not stranger.session()["authenticated"]


# --- removal --------------------------------------------------------------------------------------


@pytest.mark.parametrize("defect", [None, "passkey_kept_after_removal"])
def test_a_removed_passkey_no_longer_signs_in(make_app: Callable[..., App], defect: str | None) -> None:
    app = make_app(*([defect] if defect else []))
    _, holder = with_passkey(app)
    page = holder.get("/account/passkeys").text
    passkey_id = re.search(r'action="/account/passkeys/(\d+)/remove"', page)
    assert passkey_id
    removed = holder.post_form(f"/account/passkeys/{passkey_id.group(1)}/remove", "/account/passkeys")
    assert removed.headers["location"] == "/account/passkeys?removed=1"
    page = holder.get("/account/passkeys?removed=1").text
    assert "Passkey removed." in page and "You have no passkeys." in page and "Remove Passkey" not in page
    answer, _ = fresh_device(app, holder).passwordless()
    assert answer.ok is (defect is not None), answer.text


# --- second factor --------------------------------------------------------------------------------


def _to_mfa_step(app: App, email: str, holder: Browser_) -> Browser_:
    device = fresh_device(app, holder)
    assert device.sign_in(email).headers["location"] == "/login/mfa"
    assert not device.session()["authenticated"] and device.session()["mfa_pending"]
    return device


def test_a_passkey_is_the_second_factor_after_the_password(make_app: Callable[..., App]) -> None:
    app = make_app()
    email, holder = with_passkey(app)
    device = _to_mfa_step(app, email, holder)
    step = device.get("/login/mfa").text
    assert ">Use a passkey</button>" in step and 'id="code"' not in step
    csrf, body = device.assertion("/login/mfa/passkey/options", "/login/mfa")
    answer = device.post_json("/login/mfa/passkey", csrf, body)
    assert answer.json() == {"next": "/account"}, answer.text
    user = device.session()["user"]
    assert (user["email"], user["signed_in_with"], user["second_factor"]) == (email, "password", "passkey")


@pytest.mark.parametrize("defect", [None, "passkey_other_users_credential"])
def test_the_mfa_step_refuses_another_users_passkey(make_app: Callable[..., App], defect: str | None) -> None:
    app = make_app(*([defect] if defect else []))
    email_a, holder_a = with_passkey(app)
    email_b, holder_b = with_passkey(app)
    device = _to_mfa_step(app, email_b, holder_b)
    device.authenticator.credentials = holder_a.authenticator.credentials  # only A's passkey
    csrf = device.csrf("/login/mfa")
    options = device.post_json("/login/mfa/passkey/options", csrf, {}).json()
    assert [c["id"] for c in options["allowCredentials"]] == list(holder_b.authenticator.credentials)
    only_a = next(iter(holder_a.authenticator.credentials))
    answer = device.post_json("/login/mfa/passkey", csrf, device.authenticator.get(options, only_a))
    if defect is None:
        assert answer.status_code == 400 and "another account" in answer.json()["error"]
        assert not device.session()["authenticated"]
    else:
        assert answer.ok and device.session()["user"]["email"] == email_b


def test_a_reset_keeps_the_passkey_requirement(make_app: Callable[..., App]) -> None:
    for defect, still_asked in ((None, True), ("reset_skips_mfa", False)):
        app = make_app(*([defect] if defect else []))
        email, holder = with_passkey(app)
        sandbox = app.app.state.sandbox
        with sandbox.sessions() as db:  # the mailed link, without the mail
            user = find_user(db, email)
            assert user is not None
            raw = issue_token(sandbox, db, user, "reset")
            db.commit()
        device = app.browser()
        new_password = secrets.token_urlsafe(18)
        done = device.post_form("/reset/confirm", f"/reset/confirm?token={raw}", token=raw,
                                password=new_password)
        assert "You can now sign in with your new password." in done.text
        signed_in = device.post_form("/login", "/login", email=email, password=new_password)
        assert (signed_in.headers["location"] == "/login/mfa") is still_asked, defect


# --- a real browser -------------------------------------------------------------------------------


def test_chromium_registers_and_signs_in_with_a_virtual_authenticator(
    make_app: Callable[..., App], chromium: tuple[Playwright, Browser],
) -> None:
    """The page's JS and the RP ID on localhost, end to end, with DevTools' virtual authenticator."""
    _, browser = chromium
    app = make_app()
    email = app.user()
    context = browser.new_context(base_url=app.base)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True,
            "automaticPresenceSimulation": True}})["authenticatorId"]
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url("**/account")
        page.get_by_role("link", name="Passkeys", exact=True).click()
        expect(page.get_by_text("You have no passkeys.")).to_be_visible()
        page.get_by_role("button", name="Add a passkey").click()
        page.wait_for_url(re.compile(r"/account/passkeys/reauth\?next=/account/passkeys$"))
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/account/passkeys")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_role("status")).to_have_text("Passkey added.")
        expect(page.get_by_role("list", name="Your passkeys").get_by_role("listitem")).to_have_count(1)
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in with a passkey").click()
        page.wait_for_url("**/account")
        session = page.request.get("/api/session").json()
        assert (session["user"]["email"], session["user"]["signed_in_with"]) == (email, "passkey")
        stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
        assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["signCount"] > 0
        page.get_by_role("button", name="Sign out").click()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.get_by_role("button", name="Use a passkey").click()  # the MFA step
        page.wait_for_url("**/account")
        user = page.request.get("/api/session").json()["user"]
        assert (user["signed_in_with"], user["second_factor"]) == ("password", "passkey")
        page.goto("/account/passkeys")  # removed here, still held by the authenticator
        page.get_by_role("button", name="Remove Passkey 1").click()
        expect(page.get_by_role("status")).to_have_text("Passkey removed.")
        expect(page.get_by_text("You have no passkeys.")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in with a passkey").click()
        expect(page.get_by_role("alert")).to_have_text("This passkey could not sign you in.")
        assert not page.request.get("/api/session").json()["authenticated"]
    finally:
        context.close()
