"""The identity provider of the profile's `[sso]`: its discovery document, its admin API and
its test hooks, each one call with one deadline (E2E_HTTP_TIMEOUT).

The discovery document is read with the standard library (`httpget`) so `authprobe doctor`
can judge it without a browser; the admin API and hooks go through the run's cookie-less,
untraced Playwright request context, like the target's own (tokens never reach a trace).
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.error
from dataclasses import dataclass
from typing import Any, Literal

from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from authprobe.errors import DeadlineExceeded, HookUnavailable, IdpConfigError, ProvisioningUnavailable
from authprobe.profile import HttpOperation, Sso
from authprobe.target import httpget
from authprobe.target.httpops import call

Tamper = Literal["audience", "signature", "issuer", "expired", "retired_key"]
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class Discovery:
    """What the IdP's discovery document says (OpenID Connect Discovery 1.0)."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


def discover(idp_url: str | None, sso: Sso, timeout_s: float,
             tls: ssl.SSLContext | None = None) -> Discovery:
    """The discovery document, or `IdpConfigError` with one sentence saying what to fix."""
    if not idp_url:
        raise IdpConfigError("The profile has an [sso] section but E2E_IDP_URL is not set; set it "
                             "to the identity provider's origin (e.g. https://login.example.com).")
    url = idp_url.rstrip("/") + sso.discovery
    try:
        answer = httpget.get(url, timeout_s, tls=tls)
    except DeadlineExceeded as exc:
        raise IdpConfigError(f"The identity provider's discovery document {exc}; check E2E_IDP_URL "
                             "and sso.discovery, or raise E2E_HTTP_TIMEOUT if it is only slow.") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IdpConfigError(f"The identity provider's discovery document {url} does not answer "
                             f"({reason}); check E2E_IDP_URL and that the IdP is running.") from None
    if answer.status != 200:
        raise IdpConfigError(f"The identity provider's discovery document {url} answered HTTP "
                             f"{answer.status}; check E2E_IDP_URL and sso.discovery.")
    try:
        document = json.loads(answer.body)
    except ValueError:
        document = None
    missing = [key for key in REQUIRED if not isinstance(document, dict) or not document.get(key)]
    if missing or not isinstance(document, dict):
        raise IdpConfigError(f"{url} is not an OpenID Connect discovery document (it lacks "
                             f"{', '.join(missing)}); check sso.discovery.")
    end = document.get("end_session_endpoint")
    issuer, authorize, token, jwks = (str(document[key]) for key in REQUIRED)
    return Discovery(url, issuer, authorize, token, jwks, str(end) if end else None)


def max_age(cache_control: str) -> float | None:
    """`max-age` of a Cache-Control header, in seconds (None when absent)."""
    found = re.search(r"(?:^|,)\s*max-age\s*=\s*(\d+)", cache_control or "")
    return float(found.group(1)) if found else None


class IdentityProvider:
    """The IdP's admin API and test hooks as the profile describes them."""

    def __init__(self, request: APIRequestContext, sso: Sso, discovery: Discovery,
                 admin_token: SecretStr | None, hook_token: SecretStr | None, timeout_s: float) -> None:
        self.sso = sso
        self.discovery = discovery
        self._request = request
        self._admin_token = admin_token
        self._hook_token = hook_token
        self._timeout_s = timeout_s

    # the admin API ---------------------------------------------------------------------------

    def admin(self, name: str) -> HttpOperation | None:
        api = self.sso.admin_api
        return None if api is None else getattr(api, name, None)

    def can(self, name: str) -> bool:
        """Whether the profile describes the admin operation `name` and the token is set."""
        return self.admin(name) is not None and self._admin_token is not None

    def _admin(self, name: str, values: dict[str, Any]) -> Any:
        api, operation = self.sso.admin_api, self.admin(name)
        if api is None or operation is None:
            raise ProvisioningUnavailable(f"the profile's [sso.admin_api] has no {name}")
        if self._admin_token is None:
            raise ProvisioningUnavailable("E2E_IDP_ADMIN_TOKEN is not set, so the identity "
                                          "provider's admin API cannot be called")
        token = SecretStr(api.token_prefix + self._admin_token.get_secret_value())
        response = call(self._request, operation, values, {api.token_header: token},
                        timeout_s=self._timeout_s, what=f"IdP admin {name}")
        return response.json() if "json" in response.headers.get("content-type", "") else None

    def create_identity(self, email: str, password: SecretStr, *, email_verified: bool) -> None:
        self._admin("create_user", {"email": email, "password": password.get_secret_value(),
                                    "email_verified": email_verified})

    def delete_identity(self, email: str) -> None:
        self._admin("delete_user", {"email": email})

    def sign_out_everywhere(self, email: str) -> None:
        self._admin("sign_out_user", {"email": email})

    def disable(self, email: str) -> None:
        self._admin("disable_user", {"email": email})

    def rotate_keys(self) -> None:
        self._admin("rotate_keys", {})

    def retire_keys(self) -> None:
        self._admin("retire_keys", {})

    def jwks_max_age(self) -> float | None:
        """How long the IdP lets its key set be cached (its Cache-Control max-age)."""
        response = self._request.get(self.discovery.jwks_uri, timeout=self._timeout_s * 1000,
                                     fail_on_status_code=False)
        return max_age(response.headers.get("cache-control", ""))

    # test hooks ------------------------------------------------------------------------------

    def hook(self, name: str) -> HttpOperation | None:
        return getattr(self.sso.hooks, name, None)

    def has_hook(self, name: str) -> bool:
        return self.hook(name) is not None and self._hook_token is not None

    def _hook(self, name: str, values: dict[str, Any]) -> None:
        operation = self.hook(name)
        if operation is None:
            raise HookUnavailable(f"the profile's [sso.hooks] has no {name}")
        if self._hook_token is None:
            raise HookUnavailable("E2E_IDP_HOOK_TOKEN is not set, so the IdP's test hooks cannot be called")
        call(self._request, operation, values, {self.sso.hooks.token_header: self._hook_token},
             timeout_s=self._timeout_s, what=f"IdP test hook {name}")

    def tamper_next_id_token(self, email: str, tamper: Tamper) -> None:
        self._hook("next_id_token", {"email": email, "tamper": tamper})

    def outage(self, seconds: float) -> None:
        self._hook("outage", {"seconds": seconds})
