"""The checker's side of [passkeys] without the sandbox: the profile section refuses what cannot
work in one sentence, the origin browsers use for WebAuthn, the page-side rewrites, and the
virtual authenticator itself against a tiny page on localhost (Chromium, under the lock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

from authprobe.errors import ConfigError
from authprobe.flows.passkeys import _options_of, is_assertion, with_challenge, without_allow_list
from authprobe.oob.authenticator import _b64url, _standard
from authprobe.profile import Passkeys, load_profile
from tests.localhost_site import Page, localhost_site

SCREEN = '[paths]\npasskeys = "/account/passkeys"\n'


def refusal(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "pk.toml"
    path.write_text('name = "x"\n' + toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_passkeys_without_their_screen_are_refused(tmp_path: Path) -> None:
    said = refusal(tmp_path, "[passkeys]\n")
    assert "[paths] passkeys" in said and "passkeys.register" in said


def test_passkeys_that_sign_in_nowhere_are_refused(tmp_path: Path) -> None:
    said = refusal(tmp_path, SCREEN + "[passkeys]\npasswordless = false\nsecond_factor = false\n")
    assert "signs in nowhere" in said


def test_passwordless_without_resident_keys_is_refused(tmp_path: Path) -> None:
    assert "resident_key" in refusal(tmp_path, SCREEN + "[passkeys]\nresident_key = false\n")


@pytest.mark.parametrize("host", ["http://localhost", "localhost:8000", ""])
def test_an_origin_host_that_is_not_a_host_name_is_refused(tmp_path: Path, host: str) -> None:
    assert "host name alone" in refusal(tmp_path, SCREEN + f'[passkeys]\norigin_host = "{host}"\n')


def test_signed_in_with_as_a_json_pointer_gets_its_jmespath_spelling(tmp_path: Path) -> None:
    assert "'user.via'" in refusal(tmp_path, SCREEN + '[passkeys]\nsigned_in_with = "/user/via"\n')


def test_register_names_the_screen_without_paths(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('name = "x"\n[passkeys]\nregister = "/me/keys"\nsecond_factor = false\n',
                    encoding="utf-8")
    passkeys = load_profile(str(path)).passkeys
    assert passkeys is not None and passkeys.register_path == "/me/keys" and not passkeys.second_factor


def test_the_shipped_sandbox_profile_describes_its_passkeys() -> None:
    profile = load_profile("sandbox")
    assert profile.passkeys is not None and profile.paths.passkeys == "/account/passkeys"
    assert profile.passkeys.signed_in_with == "user.signed_in_with"


@pytest.mark.parametrize(("base", "host", "origin"), [
    ("http://127.0.0.1:8123", None, "http://localhost:8123"),
    ("http://[::1]:8123/app", None, "http://localhost:8123"),
    ("https://staging.example.com", None, "https://staging.example.com"),
    ("https://10.0.0.5:8443", None, "https://10.0.0.5:8443"),  # not loopback: said at run time
    ("https://10.0.0.5:8443", "app.test", "https://app.test:8443"),
])
def test_the_origin_browsers_use_for_webauthn(base: str, host: str | None, origin: str) -> None:
    assert Passkeys(origin_host=host).origin(base) == origin


def test_an_assertion_is_told_from_other_json() -> None:
    assert is_assertion({"id": "x", "response": {"authenticatorData": "a", "signature": "s"}})
    assert not is_assertion({"id": "x", "response": {"attestationObject": "a"}})
    assert not is_assertion([1, 2]) and not is_assertion(None)


def test_options_rewrites_find_the_options_at_either_level() -> None:
    nested = {"publicKey": {"challenge": "c1", "allowCredentials": [{"id": "k", "type": "public-key"}]}}
    options = _options_of(nested)
    assert options is not None and without_allow_list(options)
    assert nested["publicKey"]["allowCredentials"] == []
    assert not without_allow_list(options)  # nothing left to take away
    flat = {"challenge": "c2"}
    found = _options_of(flat)
    assert found is not None and with_challenge("old")(found) and flat["challenge"] == "old"
    assert _options_of({"error": "no"}) is None


def test_credential_ids_round_trip_between_webauthn_and_devtools_spellings() -> None:
    standard = "QPxlASZx2kauYVel0N8N+ijIcEkBP6nOKOFR2tSKSUI="  # pragma: allowlist secret (a credential id)
    assert _b64url(standard) == "QPxlASZx2kauYVel0N8N-ijIcEkBP6nOKOFR2tSKSUI"  # pragma: allowlist secret
    assert _standard(_b64url(standard)) == standard


# the virtual authenticator in a real Chromium, against a page on localhost ------------------

PAGE = b"""<!doctype html><title>rp</title><h1>rp</h1>"""
CREATE = """async () => {
  const c = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON({
    rp: {id: 'localhost', name: 'rp'}, user: {id: 'dXNlcjE', name: 'u', displayName: 'u'},
    challenge: 'Y2hhbGxlbmdlY2hhbGxlbmdl', pubKeyCredParams: [{type: 'public-key', alg: -7}],
    authenticatorSelection: {residentKey: 'required', userVerification: 'preferred'}})});
  return c.id; }"""
GET = """async () => {
  try {
    const g = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON({
      challenge: 'Y2hhbGxlbmdlY2hhbGxlbmdl', rpId: 'localhost', allowCredentials: [], timeout: 4000})});
    return g.id;
  } catch (e) { return 'refused: ' + e.name; } }"""


class _Page(Page):
    body = PAGE
    posted: list[str] = []


@pytest.fixture
def rp_origin() -> Iterator[str]:
    with localhost_site(_Page) as origin:
        yield origin


def test_the_virtual_authenticator_makes_lists_copies_and_removes_passkeys(
    rp_origin: str, chromium: tuple[Playwright, Browser],
) -> None:
    from authprobe.oob.authenticator import VirtualAuthenticator

    browser = chromium[1]
    context = browser.new_context(base_url=rp_origin)
    laptop, clone = context.new_page(), context.new_page()
    for page in (laptop, clone):
        page.goto("/")
    mine = VirtualAuthenticator.add(laptop)
    theirs = VirtualAuthenticator.add(clone)
    made = laptop.evaluate(CREATE)
    [held] = mine.credentials()
    assert held.credential_id == made and held.rp_id == "localhost" and held.resident
    assert clone.evaluate(GET).startswith("refused"), "a tab without the passkey must not use it"
    theirs.add_credential(held.at_count(0))
    assert clone.evaluate(GET) == made
    assert theirs.credentials()[0].sign_count == 1  # the copy counted from 0 again
    mine.remove_credential(made)
    assert mine.credentials() == [] and laptop.evaluate(GET).startswith("refused")
    mine.remove()
    mine.remove()  # twice: nothing happens
    context.close()
