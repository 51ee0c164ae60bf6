"""The built-in identity provider (authprobe.sandbox.idp) over real HTTP, as a relying party
and an admin see it: discovery and JWKS, sign-in with code + PKCE, ID tokens checked against
the JWKS, refresh, revocation, key rotation, the misbehaving-ID-token hooks, the outage, and
RP-initiated logout. One IdP per module (started as the sandbox starts it, `start_idp`)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

pytest.importorskip("oauth2_provider", reason="django-oauth-toolkit (authprobe[targets]) is not installed")

from authprobe.sandbox.idp.sidecar import IdpClient, RunningIdp, start_idp  # noqa: E402
from authprobe.sandbox.scratch import SCRATCH_PREFIX  # noqa: E402

CALLBACK = "http://127.0.0.1:9/sso/callback"  # never fetched: the test reads the redirect
SIGNED_OUT = "http://127.0.0.1:9/login?signed_out=1"
ADMIN_TOKEN = secrets.token_urlsafe(16)
HOOK_TOKEN = secrets.token_urlsafe(16)
JWKS_MAX_AGE = 7
CLIENT = IdpClient(client_id="authprobe-test", client_secret=secrets.token_urlsafe(24),
                   redirect_uris=(CALLBACK,), post_logout_redirect_uris=(SIGNED_OUT,))
PASSWORD = secrets.token_urlsafe(18)  # a throwaway identity's, fresh per run


@pytest.fixture(scope="module")
def idp() -> Iterator[RunningIdp]:
    running = start_idp("127.0.0.1", CLIENT, admin_token=ADMIN_TOKEN, hook_token=HOOK_TOKEN,
                        test_mode=True, jwks_max_age=JWKS_MAX_AGE)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def meta(idp: RunningIdp) -> dict[str, Any]:
    answer = requests.get(idp.discovery_url, timeout=5)
    answer.raise_for_status()
    return dict(answer.json())


def admin(idp: RunningIdp, method: str, path: str, token: str = ADMIN_TOKEN,
          **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{idp.url}/api/admin/{path}", timeout=5,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def hook(idp: RunningIdp, path: str, body: dict[str, Any], token: str | None = HOOK_TOKEN,
         ) -> requests.Response:
    headers = {} if token is None else {"X-Test-Hook-Token": token}
    return requests.post(f"{idp.url}/__test__/{path}", json=body, headers=headers, timeout=5)


def new_user(idp: RunningIdp, *, verified: bool = True) -> str:
    email = f"idp-{secrets.token_hex(4)}@example.test"
    made = admin(idp, "POST", "users", json={"email": email, "password": PASSWORD,
                                             "email_verified": verified, "name": "Ida P"})
    assert made.status_code == 201, made.text
    return email


def sessions(idp: RunningIdp, email: str) -> int:
    return int(admin(idp, "GET", f"users/{email}/sessions").json()["sessions"])


def csrf_of(page: requests.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def sign_in_form(browser: requests.Session, page: requests.Response, email: str,
                 password: str) -> requests.Response:
    """Submit the IdP's sign-in form as a browser would (its CSRF token, its next)."""
    assert "Sign in to Authprobe ID" in page.text, page.text[:400]
    nxt = re.search(r'name="next" value="([^"]*)"', page.text)
    return browser.post(page.url.split("?")[0], allow_redirects=False, timeout=5, data={
        "csrfmiddlewaretoken": csrf_of(page), "username": email, "password": password,
        "next": nxt.group(1).replace("&amp;", "&") if nxt else ""})


class RelyingParty:
    """What the sandbox does as a client, with Authlib: code + PKCE, then the token call."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.client = OAuth2Session(CLIENT.client_id, CLIENT.client_secret,
                                    scope="openid email profile", redirect_uri=CALLBACK)

    def sign_in(self, browser: requests.Session, email: str, nonce: str) -> dict[str, Any]:
        verifier = secrets.token_urlsafe(48)
        url, state = self.client.create_authorization_url(
            self.meta["authorization_endpoint"], nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256")
        login = browser.get(url, timeout=5)  # not signed in: the IdP's sign-in form
        back = sign_in_form(browser, login, email, PASSWORD)
        assert back.status_code == 302, back.text[:400]
        authorized = browser.get(urljoin(back.url, back.headers["Location"]), allow_redirects=False,
                                 timeout=5)
        landing = authorized.headers["Location"]
        assert landing.startswith(CALLBACK), landing
        assert parse_qs(urlsplit(landing).query)["state"] == [state]
        return dict(self.client.fetch_token(self.meta["token_endpoint"],
                                            authorization_response=landing, code_verifier=verifier))

    def refresh(self, refresh_token: str) -> requests.Response:
        return requests.post(self.meta["token_endpoint"], timeout=5, auth=(CLIENT.client_id,
                             CLIENT.client_secret),
                             data={"grant_type": "refresh_token", "refresh_token": refresh_token})

    def jwks(self) -> dict[str, Any]:
        return dict(requests.get(self.meta["jwks_uri"], timeout=5).json())


def kid_of(token: str) -> str:
    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def decoded(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims once the signature checks out against `jwks` (BadSignatureError otherwise)."""
    return dict(jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims)


def verified_claims(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    claims = decoded(token, jwks)
    jwt.JWTClaimsRegistry(exp={"essential": True}, iat={"essential": True}).validate(claims)
    return claims


def signed_in(idp: RunningIdp, meta: dict[str, Any]) -> tuple[RelyingParty, dict[str, Any], str]:
    rp, email = RelyingParty(meta), new_user(idp)
    return rp, rp.sign_in(requests.Session(), email, secrets.token_urlsafe(8)), email


def test_discovery_and_jwks_answer_with_the_configured_cache_age(idp: RunningIdp,
                                                                 meta: dict[str, Any]) -> None:
    assert meta["issuer"] == idp.issuer
    assert meta["end_session_endpoint"] == f"{idp.issuer}/logout/"
    assert {"email", "email_verified", "name"} <= set(meta["claims_supported"])
    answer = requests.get(meta["jwks_uri"], timeout=5)
    assert answer.json()["keys"] and all(key["kty"] == "RSA" for key in answer.json()["keys"])
    assert f"max-age={JWKS_MAX_AGE}" in answer.headers["Cache-Control"], answer.headers


def test_admin_api_refuses_a_missing_or_wrong_token(idp: RunningIdp) -> None:
    assert requests.get(f"{idp.url}/api/admin/users", timeout=5).status_code == 401
    assert admin(idp, "GET", "users", token="wrong").status_code == 401
    assert admin(idp, "POST", "keys/rotate", token="wrong").status_code == 401
    assert admin(idp, "GET", "users").status_code == 200


def test_admin_api_creates_lists_and_deletes_users(idp: RunningIdp) -> None:
    email = new_user(idp, verified=False)
    again = admin(idp, "POST", "users", json={"email": email.upper(), "password": PASSWORD})
    assert again.status_code == 409, again.text
    bad = admin(idp, "POST", "users", json={"email": "not-an-address", "password": PASSWORD})
    assert bad.status_code == 400 and bad.json()["error"].endswith("."), bad.text
    listed = {user["email"]: user for user in admin(idp, "GET", "users").json()["users"]}
    assert listed[email]["email_verified"] is False and listed[email]["active"] is True
    assert admin(idp, "DELETE", f"users/{email}").status_code == 204
    assert admin(idp, "DELETE", f"users/{email}").status_code == 404


def test_sign_in_with_code_and_pkce_issues_an_id_token_the_jwks_verifies(
        idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp, email, browser = RelyingParty(meta), new_user(idp), requests.Session()
    refused = sign_in_form(browser, browser.get(f"{idp.url}/accounts/login/", timeout=5), email, "nope")
    assert refused.status_code in (200, 400)
    assert re.search(r'role="alert">\s*Wrong email or password\.', refused.text), refused.text[:600]
    token = rp.sign_in(browser, email, nonce="n-0S6_WzA2Mj")
    claims = verified_claims(token["id_token"], rp.jwks())
    assert claims["iss"] == idp.issuer and claims["aud"] == CLIENT.client_id
    assert (claims["email"], claims["email_verified"], claims["nonce"]) == (email, True, "n-0S6_WzA2Mj")
    assert token.get("refresh_token")
    userinfo = requests.get(meta["userinfo_endpoint"], timeout=5,
                            headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert (userinfo["sub"], userinfo["email"], userinfo["name"]) == (claims["sub"], email, "Ida P")
    account = browser.get(f"{idp.url}/accounts/", timeout=5)
    assert "Your Authprobe ID" in account.text and f"Signed in as {email}" in account.text


def test_refresh_works_until_the_admin_signs_the_user_out(idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp, token, email = signed_in(idp, meta)
    renewed = rp.refresh(token["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["refresh_token"] != token["refresh_token"], "refresh tokens rotate on use"
    assert sessions(idp, email) == 1
    assert admin(idp, "POST", f"users/{email}/sign-out").status_code == 204
    assert sessions(idp, email) == 0
    after = rp.refresh(renewed.json()["refresh_token"])
    assert (after.status_code, after.json().get("error")) == (400, "invalid_grant"), after.text


def test_disable_ends_sessions_refresh_and_sign_in(idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp, token, email = signed_in(idp, meta)
    assert admin(idp, "POST", f"users/{email}/disable").status_code == 204
    assert sessions(idp, email) == 0
    after = rp.refresh(token["refresh_token"])
    assert (after.status_code, after.json().get("error")) == (400, "invalid_grant"), after.text
    browser = requests.Session()
    refused = sign_in_form(browser, browser.get(f"{idp.url}/accounts/login/", timeout=5), email, PASSWORD)
    assert "Wrong email or password." in refused.text
    listed = {user["email"]: user for user in admin(idp, "GET", "users").json()["users"]}
    assert listed[email]["active"] is False


def test_rotation_signs_with_a_new_key_and_retirement_unpublishes_the_old(
        idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp = RelyingParty(meta)
    rotated = admin(idp, "POST", "keys/rotate").json()
    published = {key["kid"] for key in rp.jwks()["keys"]}
    assert rotated["active"] in published and len(published) >= 2
    assert set(rotated["published"]) == published
    _, token, _ = signed_in(idp, meta)
    assert kid_of(token["id_token"]) == rotated["active"]
    verified_claims(token["id_token"], rp.jwks())
    retired = admin(idp, "POST", "keys/retire").json()
    assert {key["kid"] for key in rp.jwks()["keys"]} == {rotated["active"]} == set(retired["published"])
    assert published - {rotated["active"]} <= set(retired["retired"])


@pytest.mark.parametrize("fault", ["audience", "signature", "retired_key", "issuer", "expired"])
def test_each_id_token_fault_comes_exactly_once(idp: RunningIdp, meta: dict[str, Any], fault: str) -> None:
    rp, token, email = signed_in(idp, meta)
    before = rp.jwks()  # still holds the key about to be retired: its signature is checkable
    if fault == "retired_key":
        admin(idp, "POST", "keys/rotate")
        before = rp.jwks()
        admin(idp, "POST", "keys/retire")
    assert hook(idp, "next-id-token", {"email": email, "tamper": fault}).status_code == 204
    faulty = rp.refresh(token["refresh_token"]).json()
    bad, jwks = faulty["id_token"], rp.jwks()
    if fault == "signature":
        with pytest.raises(BadSignatureError):
            decoded(bad, jwks)
    elif fault == "retired_key":
        assert kid_of(bad) not in {key["kid"] for key in jwks["keys"]}
        assert verified_claims(bad, before)["email"] == email  # signed, by a key no longer published
    else:
        claims = decoded(bad, jwks)  # signature holds
        wrong = {"audience": claims["aud"] != CLIENT.client_id, "issuer": claims["iss"] != idp.issuer,
                 "expired": claims["exp"] < time.time()}
        assert wrong == {name: name == fault for name in wrong}, claims
    clean = rp.refresh(faulty["refresh_token"]).json()["id_token"]
    claims = verified_claims(clean, rp.jwks())
    assert (claims["aud"], claims["iss"], claims["email"]) == (CLIENT.client_id, idp.issuer, email)


def test_test_hooks_refuse_a_missing_or_wrong_token(idp: RunningIdp) -> None:
    email = new_user(idp)
    assert hook(idp, "outage", {"seconds": 5}, token=None).status_code == 401
    assert hook(idp, "outage", {"seconds": 5}, token="wrong").status_code == 403
    armed = hook(idp, "next-id-token", {"email": email, "tamper": "audience"}, token="wrong")
    assert armed.status_code == 403
    assert requests.get(f"{idp.url}/o/.well-known/jwks.json", timeout=5).status_code == 200


def test_outage_makes_the_oidc_endpoints_answer_503_then_recovers(idp: RunningIdp,
                                                                 meta: dict[str, Any]) -> None:
    assert hook(idp, "outage", {"seconds": 60}).status_code == 204
    assert requests.get(idp.discovery_url, timeout=5).status_code == 503
    assert requests.post(meta["token_endpoint"], timeout=5).status_code == 503
    assert admin(idp, "GET", "users").status_code == 200, "the admin API is not an OIDC endpoint"
    assert hook(idp, "outage", {"seconds": 0}).status_code == 204
    assert requests.get(idp.discovery_url, timeout=5).status_code == 200
    assert hook(idp, "outage", {"seconds": 0.3}).status_code == 204
    assert requests.get(meta["jwks_uri"], timeout=5).status_code == 503
    deadline = time.monotonic() + 5
    while requests.get(meta["jwks_uri"], timeout=5).status_code == 503:
        assert time.monotonic() < deadline, "a 0.3 s outage still lasts after 5 s"
        time.sleep(0.05)


def test_rp_initiated_logout_ends_the_idp_session_and_returns_to_the_app(
        idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp, email, browser = RelyingParty(meta), new_user(idp), requests.Session()
    token = rp.sign_in(browser, email, nonce="n1")
    assert sessions(idp, email) == 1
    out = browser.get(meta["end_session_endpoint"], allow_redirects=False, timeout=5, params={
        "id_token_hint": token["id_token"], "post_logout_redirect_uri": SIGNED_OUT, "state": "s1"})
    assert out.status_code == 302, out.text[:400]
    assert out.headers["Location"] == f"{SIGNED_OUT}&state=s1"
    assert sessions(idp, email) == 0
    assert "/accounts/login/" in browser.get(f"{idp.url}/accounts/", allow_redirects=False,
                                             timeout=5).headers["Location"]


def test_without_test_mode_hooks_are_absent_and_stop_leaves_nothing() -> None:
    plain = start_idp("127.0.0.1", CLIENT, admin_token=ADMIN_TOKEN, hook_token=HOOK_TOKEN,
                      test_mode=False)
    try:
        for path, body in (("outage", {"seconds": 5}), ("next-id-token", {"email": "a@b.test"})):
            assert hook(plain, path, body).status_code == 404
        scratch = list(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{plain.pid}-*"))
        assert scratch, "the IdP keeps its database in a scratch directory of its own"
    finally:
        plain.stop()
    assert plain.process.returncode == 0
    assert not [path for path in scratch if path.exists()], f"left behind: {scratch}"


def test_logout_without_a_hint_asks_before_signing_out(idp: RunningIdp, meta: dict[str, Any]) -> None:
    rp, email, browser = RelyingParty(meta), new_user(idp), requests.Session()
    rp.sign_in(browser, email, nonce="n2")
    prompt = browser.get(meta["end_session_endpoint"], timeout=5)
    assert "Sign out of Authprobe ID?" in prompt.text and ">Sign out</button>" in prompt.text
    assert sessions(idp, email) == 1, "nothing ends before the user confirms"
    browser.post(prompt.url, data={"csrfmiddlewaretoken": csrf_of(prompt), "allow": "true"},
                 allow_redirects=False, timeout=5)
    assert sessions(idp, email) == 0


def test_with_consent_the_user_is_asked_and_allow_returns_a_code() -> None:
    client = IdpClient(client_id="consenting", client_secret="s3cret", redirect_uris=(CALLBACK,),
                       name="Example App", consent=True)
    asking = start_idp("127.0.0.1", client, admin_token=ADMIN_TOKEN, hook_token=HOOK_TOKEN, test_mode=True)
    try:
        email, browser = new_user(asking), requests.Session()
        authorize = (f"{asking.issuer}/authorize/?response_type=code&client_id=consenting&scope=openid"
                     f"&redirect_uri={CALLBACK}&code_challenge={'a' * 43}&code_challenge_method=S256")
        back = sign_in_form(browser, browser.get(authorize, timeout=5), email, PASSWORD)
        consent = browser.get(urljoin(back.url, back.headers["Location"]), timeout=5)
        assert "Allow Example App to use your Authprobe ID?" in consent.text, consent.text[:400]
        assert ">Allow</button>" in consent.text and ">Deny</button>" in consent.text
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', consent.text))
        allowed = browser.post(consent.url, allow_redirects=False, timeout=5,
                               data={**fields, "allow": "Allow"})
        assert allowed.headers["Location"].startswith(f"{CALLBACK}?code="), allowed.headers
    finally:
        asking.stop()
