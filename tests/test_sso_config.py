"""The checker's side of [sso] without a browser: the profile section refuses what cannot work
in one sentence, the IdP's discovery document is judged within its deadline, the pool of
identities is parsed without echoing a password, and the front channel's URL surgery."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.errors import ConfigError, IdpConfigError
from authprobe.flows.sso import Held, _is_callback, _rewritten
from authprobe.profile import load_profile
from authprobe.provisioning.identities import parse_identity_pool
from authprobe.target.idp import Discovery, discover, max_age
from tests.hostile_http import hostile_http

BUTTON = '[locators.login]\nsso_button = { role = "link", name = "Sign in with Okta" }\n'
ADMIN = ('[sso.admin_api]\ncreate_user = { method = "POST", path = "/u" }\n'
         'delete_user = { method = "DELETE", path = "/u/{email}" }\n')


def refusal(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "sso.toml"
    path.write_text('name = "x"\n' + toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(str(path))
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_sso_without_its_button_is_refused(tmp_path: Path) -> None:
    said = refusal(tmp_path, '[sso]\nprovider = "okta"\nusers = "pool"\n')
    assert "[locators.login] sso_button" in said


def test_sso_with_admin_api_users_but_no_admin_api_is_refused(tmp_path: Path) -> None:
    said = refusal(tmp_path, BUTTON + '[sso]\nprovider = "okta"\n')
    assert "no [sso.admin_api]" in said and "E2E_SSO_POOL" in said


def test_sso_signed_in_with_as_a_json_pointer_gets_its_jmespath_spelling(tmp_path: Path) -> None:
    said = refusal(tmp_path, BUTTON + '[sso]\nprovider = "okta"\nsigned_in_with = "/user/via"\n' + ADMIN)
    assert "'user.via'" in said


def test_a_complete_sso_section_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text('name = "x"\n' + BUTTON + '[sso]\nprovider = "okta"\n' + ADMIN, encoding="utf-8")
    profile = load_profile(str(path))
    assert profile.sso is not None and profile.sso.policy.sign_out_ends_idp_session


def test_the_shipped_sandbox_profile_describes_its_idp() -> None:
    sso = load_profile("sandbox").sso
    assert sso is not None and sso.admin_api is not None and sso.hooks.next_id_token is not None


@pytest.mark.parametrize(("raw", "fragment"), [
    ("not json", "not valid JSON"), ("{}", "not a non-empty list"),
    ('[{"email": "a@x"}]', "lacks an email or password"),
])
def test_a_malformed_identity_pool_is_one_sentence_without_its_values(raw: str, fragment: str) -> None:
    with pytest.raises(IdpConfigError) as caught:
        parse_identity_pool(SecretStr(raw))
    assert fragment in str(caught.value) and raw not in str(caught.value)


def test_an_identity_pool_parses() -> None:
    [one] = parse_identity_pool(SecretStr('[{"email": "a@x.test", "password": "pw-123456"}]'))
    assert one.email == "a@x.test" and one.password.get_secret_value() == "pw-123456"


def test_discovery_unset_url_and_unreachable_idp_are_one_sentence() -> None:
    sso = load_profile("sandbox").sso
    assert sso is not None
    with pytest.raises(IdpConfigError, match="E2E_IDP_URL is not set"):
        discover(None, sso, 1.0)
    with pytest.raises(IdpConfigError, match="does not answer"):
        discover("http://127.0.0.1:9", sso, 1.0)


@pytest.mark.parametrize(("answer", "fragment"), [
    ((404, {"error": "nope"}), "answered HTTP 404"),
    ((200, {"issuer": "x"}), "lacks authorization_endpoint, token_endpoint, jwks_uri"),
])
def test_a_discovery_document_that_is_not_one_is_named(answer: tuple[int, object], fragment: str) -> None:
    sso = load_profile("sandbox").sso
    assert sso is not None
    with (hostile_http("GET", "/never", "stall", "headers", answers=lambda m, p: answer) as server,
          pytest.raises(IdpConfigError, match=fragment)):
        discover(server.url, sso, 2.0)


def test_a_stalling_discovery_ends_at_its_deadline() -> None:
    sso = load_profile("sandbox").sso
    assert sso is not None
    with hostile_http("GET", "/o/", "trickle", "body") as server:
        started = time.monotonic()
        with pytest.raises(IdpConfigError, match="E2E_HTTP_TIMEOUT"):
            discover(server.url, sso, 1.0)
    assert time.monotonic() - started < 3


def test_cache_control_max_age() -> None:
    assert max_age("public, max-age=3, stale-while-revalidate=3") == 3
    assert max_age("no-store") is None


IDP = Discovery("http://idp/.well-known", "http://idp", "http://idp/authorize", "http://idp/token",
                "http://idp/jwks", None)
AUTHORIZE = "http://idp/authorize?client_id=c&redirect_uri=http%3A%2F%2Fapp%2Fcb&state=s1&nonce=n1"


def test_held_callback_surgery() -> None:
    held = Held(IDP, callback="http://app/cb?code=abc&state=s1")
    assert held.without("state") == "http://app/cb?code=abc"
    assert held.replacing("state", "zz") == "http://app/cb?code=abc&state=zz"
    assert _is_callback("http://app/cb?code=abc&state=s1", AUTHORIZE)
    assert not _is_callback("http://app/cbx?code=abc", AUTHORIZE)
    assert "nonce=other" in _rewritten(AUTHORIZE, {"nonce": "other"}) and "state=s1" in _rewritten(
        AUTHORIZE, {"nonce": "other"})
