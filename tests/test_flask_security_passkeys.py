"""Passkeys on Flask-Security-Too (targets/flask_security.toml) without running the e2e suite:
the app turns WebAuthn on and loads its script, its session endpoint says how the user signed
in, the profile's shapes (a nickname, a use, removal by name, a cross-platform key) reach the
page objects, and the page-side positions meet options handed to `navigator.credentials` in
the page and an assertion posted as a form field, as Flask-Security's templates do."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Playwright

from authprobe.errors import ConfigError
from authprobe.flows.passkeys import Captured, _form_assertion, _signed_challenge
from authprobe.pages import locator_problems
from authprobe.profile import Passkeys, load_profile
from tests.localhost_site import Page, localhost_site

PASSWORD, TOKEN = secrets.token_urlsafe(12), secrets.token_urlsafe(12)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def assertion(challenge: str) -> str:
    client = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": "http://localhost"})
    return json.dumps({"id": "k", "rawId": "k", "type": "public-key", "response": {
        "authenticatorData": "YQ", "signature": "cw", "clientDataJSON": _b64(client.encode())}})


# the profile ---------------------------------------------------------------------------------


def test_the_shipped_profile_states_its_passkeys_and_every_locator_is_read() -> None:
    profile = load_profile("flask_security")
    assert profile.passkeys is not None and profile.paths.passkeys == "/wan-register"
    assert profile.passkeys.passwordless and not profile.passkeys.second_factor
    assert profile.passkeys.transport == "usb"
    assert locator_problems(profile) == []


def test_attachment_names_the_virtual_authenticators_transport(tmp_path: Path) -> None:
    assert Passkeys().transport == "internal"
    assert Passkeys(attachment="cross-platform").transport == "usb"
    path = tmp_path / "pk.toml"
    path.write_text('name = "x"\n[paths]\npasskeys = "/keys"\n[passkeys]\nattachment = "usb"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert "attachment" in str(caught.value) and "\n" not in str(caught.value)


# the flows' reading of a form post -------------------------------------------------------------


def test_an_assertion_posted_as_a_form_field_is_found() -> None:
    body = urlencode({"csrf_token": "t", "credential": assertion("Y2g"), "remember": ""})
    found = _form_assertion(body)
    assert found is not None and found[0][found[1]][0] == "credential"
    assert _form_assertion(urlencode({"credential": '{"id": "k"}', "next": "/"})) is None


def test_the_used_challenge_is_read_from_the_assertion_when_no_options_were_seen() -> None:
    assert _signed_challenge(assertion("b2xk")) == "b2xk"
    assert _signed_challenge('{"response": {}}') is None
    seen = Captured(assertions=[assertion("b2xk")])
    assert seen.last_challenge() == "b2xk"
    assert Captured(assertions=[assertion("b2xk")], challenges=["bmV3"]).last_challenge() == "bmV3"


# the app (in process) ----------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Any:
    from authprobe.sandbox.flask_security.app import FlaskSecurityConfig, create_app

    app = create_app(FlaskSecurityConfig(smtp_host="127.0.0.1", smtp_port=1, admin_token=TOKEN,
                                         db_uri=f"sqlite:///{tmp_path / 'app.db'}", fast_hashing=True))
    app.config["WTF_CSRF_ENABLED"] = False  # the forms' CSRF is not what these tests are about
    test_client = app.test_client()
    user = {"email": "pk@sandbox.test", "password": PASSWORD, "role": "member"}
    made = test_client.post("/api/admin/users", json=user, headers={"Authorization": f"Bearer {TOKEN}"})
    assert made.status_code == 201
    return test_client


def test_the_app_serves_its_passkey_screen_with_flask_securitys_script(client: Any) -> None:
    client.post("/login", data={"email": "pk@sandbox.test", "password": PASSWORD})
    screen = client.get("/wan-register")
    assert screen.status_code == 200, "SECURITY_WEBAUTHN must be on"
    assert b"js/webauthn.js" in screen.data, "the app's base.html must keep the head_scripts block"
    assert client.get("/api/session").get_json()["user"]["signed_in_with"] == "password"


# in a real Chromium: options handed over in the page, an assertion posted as a form ----------------

PAGE = """<!doctype html><title>rp</title><h1>rp</h1>
<form method="post" action="/done" id="f"><input type="hidden" name="credential" id="credential"></form>
<script>
async function ceremony(kind) {
  const o = {challenge: 'Y2hhbGxlbmdlY2hhbGxlbmdl', rpId: 'localhost', allowCredentials: [], timeout: 4000};
  const publicKey = kind === 'create' ? PublicKeyCredential.parseCreationOptionsFromJSON({
      rp: {id: 'localhost', name: 'rp'}, user: {id: 'dXNlcjE', name: 'u', displayName: 'u'},
      challenge: o.challenge, pubKeyCredParams: [{type: 'public-key', alg: -7}],
      authenticatorSelection: {residentKey: 'required'}})
    : PublicKeyCredential.parseRequestOptionsFromJSON(o);
  const c = await navigator.credentials[kind]({publicKey});
  if (kind === 'get') {
    document.getElementById('credential').value = JSON.stringify(c.toJSON());
    document.getElementById('f').submit();
  }
}
</script>"""


class _Site(Page):
    body = PAGE.encode()
    posted: list[str] = []


@pytest.fixture
def rp_origin() -> Iterator[str]:
    with localhost_site(_Site) as origin:
        yield origin


def test_options_in_the_page_are_changed_and_a_form_posted_assertion_is_replayed(
    rp_origin: str, chromium: tuple[Playwright, Browser],
) -> None:
    from authprobe.flows.passkeys import in_the_page, with_challenge
    from authprobe.oob.authenticator import VirtualAuthenticator

    browser = chromium[1]
    page = browser.new_context(base_url=rp_origin).new_page()
    VirtualAuthenticator.add(page, transport="usb")
    page.goto("/")
    page.evaluate("ceremony('create')")
    with in_the_page(page, options=with_challenge("b2xkb2xkb2xk")) as forged:
        page.goto("/")
        with page.expect_navigation():
            page.evaluate("ceremony('get')")
    assert forged.challenges == ["Y2hhbGxlbmdlY2hhbGxlbmdl"], "the page's options were not seen"
    assert _signed_challenge(forged.assertions[-1]) == "b2xkb2xkb2xk", "the challenge was not changed"
    first = forged.assertions[-1]
    with in_the_page(page, assertion=lambda _: first) as again:
        page.goto("/")
        with page.expect_navigation():
            page.evaluate("ceremony('get')")
    assert again.assertions and again.assertions[-1] != first
    assert json.loads(dict(_form_fields(_Site.posted[-1]))["credential"]) == json.loads(first)
    page.context.close()


def _form_fields(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body, keep_blank_values=True)


SCREEN = """<!doctype html><h1>Setup a New Passkey</h1>
<form name="wan_register_form" onsubmit="event.preventDefault(); window.added = [this.name.value,
    this.usage.value]"><label for="name">Nickname</label><input id="name" name="name">
  <input type="radio" id="u0" name="usage" value="first">
  <label for="u0">Use as a first authentication factor</label>
  <input type="radio" id="u1" name="usage" value="secondary" checked><label for="u1">Use as a secondary
  authentication factor</label><input type="submit" value="Submit"></form>
<h3>Currently registered passkeys:</h3>
<ul><li>Nickname: "laptop key" Usage: "first" Transports: "usb"</li>
  <li>Nickname: "phone" Usage: "first"</li></ul>
<form name="wan_delete_form" onsubmit="event.preventDefault(); window.removed = this.name.value">
  <label for="delete-name">Nickname</label><input id="delete-name" name="name">
  <input type="submit" value="Delete"></form>"""


def test_the_passkey_screen_of_flask_security_is_driven_by_its_profile(
    chromium: tuple[Playwright, Browser],
) -> None:
    from authprobe.pages.passkeys import PasskeysPage

    profile = load_profile("flask_security")
    browser = chromium[1]
    page = browser.new_page()
    page.set_content(SCREEN)
    screen = PasskeysPage(page, profile)
    assert screen.names() == ["laptop key", "phone"]
    screen.add()
    name, usage = page.evaluate("window.added")
    assert name.startswith("authprobe-") and usage == "first"
    screen.add()
    assert page.evaluate("window.added")[0] != name, "each passkey needs a name of its own"
    screen.remove("phone")
    assert page.evaluate("window.removed") == "phone"
    page.close()
