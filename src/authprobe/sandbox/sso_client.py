"""The sandbox's side of the OpenID Connect conversation, through Authlib's requests client:
discovery, the authorize URL (code flow, PKCE S256, state, nonce), the code exchange, the
refresh and the IdP's sign-out URL. Blocking calls (run them in a threadpool): httpx, which
Authlib's async client needs, is not a dependency of the sandbox.

Two outcomes are told apart because the app treats them differently: `IdpRefused` (the
IdP answered no: invalid_grant and the like, which ends an SSO session) and `IdpDown` (no
usable answer, which keeps it).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from authprobe.errors import IdpDown, IdpRefused
from authprobe.sandbox.config import SandboxConfig
from authprobe.sandbox.sso_tokens import Jwks

SCOPE = "openid email profile"
TIMEOUT = 5.0
CALLBACK_PATH = "/sso/callback"
SIGNED_OUT_PATH = "/login?signed_out=1"




def new_secret() -> str:
    """For state, nonce and the PKCE verifier (43 to 128 characters, RFC 7636)."""
    return str(generate_token(48))


class Provider:
    """One app's view of its IdP: the discovery document (read once it answers) and the key set."""

    def __init__(self, config: SandboxConfig) -> None:
        assert config.idp_issuer is not None
        self.config = config
        self.issuer = config.idp_issuer
        self.discovery_url = config.idp_discovery_url or \
            f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
        self.redirect_uri = config.base_url + CALLBACK_PATH
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.jwks = Jwks(self._fetch_jwks, forever="sso_jwks_cached_forever" in config.defects)

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                data, _ = _get_json(self.discovery_url)
                if not isinstance(data.get("authorization_endpoint"), str):
                    raise IdpDown("the discovery document names no authorization endpoint")
                self._metadata = data
            return self._metadata

    def _endpoint(self, name: str) -> str:
        value = self.metadata().get(name)
        if not isinstance(value, str):
            raise IdpDown(f"the discovery document names no {name}")
        return value

    def _fetch_jwks(self) -> tuple[dict[str, Any], str | None]:
        return _get_json(self._endpoint("jwks_uri"))

    def _session(self) -> OAuth2Session:
        return OAuth2Session(self.config.idp_client_id, self.config.idp_client_secret, scope=SCOPE,
                             redirect_uri=self.redirect_uri, code_challenge_method="S256",
                             default_timeout=TIMEOUT)

    def authorize_url(self, state: str, nonce: str, code_verifier: str) -> str:
        url, _ = self._session().create_authorization_url(
            self._endpoint("authorization_endpoint"), state=state, code_verifier=code_verifier,
            nonce=nonce)
        return str(url)

    def exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        return self._token_call(lambda s: s.fetch_token(
            self._endpoint("token_endpoint"), code=code, code_verifier=code_verifier,
            grant_type="authorization_code"))

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._token_call(lambda s: s.refresh_token(
            self._endpoint("token_endpoint"), refresh_token=refresh_token))

    def _token_call(self, call: Any) -> dict[str, Any]:
        try:
            token = call(self._session())
        except OAuthError as exc:
            raise IdpRefused(exc.error or "refused") from exc
        except (requests.RequestException, ValueError) as exc:  # no answer, or not JSON (a 503 page)
            raise IdpDown(str(exc)) from exc
        return dict(token)

    def end_session_url(self, id_token: str) -> str | None:
        """Where the browser signs out at the IdP too, back to the app's signed-out screen."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except IdpDown:
            return None
        if not isinstance(endpoint, str):
            return None
        query = urlencode({"id_token_hint": id_token, "client_id": self.config.idp_client_id,
                           "post_logout_redirect_uri": self.config.base_url + SIGNED_OUT_PATH})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _get_json(url: str) -> tuple[dict[str, Any], str | None]:
    try:
        answer = requests.get(url, timeout=TIMEOUT)
        answer.raise_for_status()
        data = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise IdpDown(f"{url} did not answer with JSON") from exc
    if not isinstance(data, dict):
        raise IdpDown(f"{url} did not answer with a JSON object")
    return data, answer.headers.get("Cache-Control")
