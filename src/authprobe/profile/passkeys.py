"""`[passkeys]`: WebAuthn credentials the user registers on the account screens and signs in with.

A passkey flow is pure browser (no mail, no code to type), so the checks drive Chromium's
virtual authenticator. WebAuthn refuses an IP address as relying-party ID, and a browser
treats `http://` as a secure context only on `localhost`: a target whose base URL is a
loopback IP (the sandbox's `http://127.0.0.1:PORT`) is browsed for passkeys as
`http://localhost:PORT` (`origin_host`), in contexts of its own, since cookies are per host.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, model_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.session import jmespath_problem


class Passkeys(_Strict):
    """What the app does with passkeys; the passkey checks judge it against this."""

    register_path: str | None = Field(
        default=None, alias="register", examples=["/account/passkeys"], description="the screen "
        "where a signed-in user lists, adds and removes passkeys; unset: [paths] passkeys")
    passwordless: bool = Field(default=True, description="the sign-in form has a 'Sign in with a "
                               "passkey' button that needs no password ([locators.login] passkey_button)")
    second_factor: bool = Field(
        default=True, description="a user with a passkey is asked for it after the password "
        "([locators.mfa_challenge] passkey_button), and a password reset keeps asking")
    resident_key: bool = Field(default=True, description="the virtual authenticator stores "
                               "discoverable credentials (needed for passwordless sign-in)")
    user_verification: bool = Field(default=True, description="the virtual authenticator verifies "
                                    "its user (a PIN or a fingerprint, always given)")
    attachment: Literal["platform", "cross-platform"] = Field(
        default="platform", description="what each device's virtual authenticator is, in WebAuthn's "
        "words: 'platform' (built into the device, internal transport) or 'cross-platform' (a "
        "security key on USB), for apps that accept one kind only (Flask-Security-Too asks for "
        "cross-platform passkeys as first factor)")
    reauth_before_register: bool = Field(
        default=True, description="adding a passkey first asks for the password again; the "
        "check that a fresh sign-in cannot add one without it runs only then")
    origin_host: str | None = Field(
        default=None, examples=["localhost"], description="the host browsers use for WebAuthn when "
        "the target's base URL has an IP address (WebAuthn refuses one as relying-party ID); "
        "unset: 'localhost' for a loopback address, else the base URL's own host")
    signed_in_with: str | None = Field(
        default=None, examples=["user.signed_in_with"], description="JMESPath to how the session "
        "endpoint says the user signed in (compared with signed_in_with_value after a passwordless "
        "sign-in); unset: not compared")
    signed_in_with_value: str = Field(default="passkey", description="what signed_in_with says "
                                      "after a passwordless sign-in with a passkey")

    @model_validator(mode="after")
    def _usable(self) -> Passkeys:
        if not (self.passwordless or self.second_factor):
            raise ValueError("[passkeys] says passwordless = false and second_factor = false: a "
                             "passkey that signs in nowhere cannot be checked; set one of them true")
        if self.passwordless and not self.resident_key:
            raise ValueError("[passkeys] passwordless sign-in needs discoverable credentials: set "
                             "resident_key = true or passwordless = false")
        if self.register_path is not None and not self.register_path.startswith("/"):
            raise ValueError("passkeys.register is a path relative to E2E_BASE_URL and starts with '/'")
        if self.origin_host is not None and (not self.origin_host or any(
                c in self.origin_host for c in "/:@?# ")):
            raise ValueError(f"passkeys.origin_host {self.origin_host!r} is a host name alone "
                             "(no scheme, port or path), e.g. \"localhost\"")
        if self.signed_in_with is not None:
            problem = jmespath_problem(self.signed_in_with, "passkeys.signed_in_with")
            if problem:
                raise ValueError(problem)
        return self

    @property
    def transport(self) -> str:
        """The virtual authenticator's transport for `attachment` (DevTools' WebAuthn names)."""
        return "internal" if self.attachment == "platform" else "usb"

    def origin(self, base_url: str) -> str:
        """The origin browsers use for passkeys: `base_url` with `origin_host` (or, for a
        loopback IP, `localhost`) as its host, port and scheme kept."""
        parts = urlsplit(base_url)
        host = self.origin_host or _default_host(parts.hostname or "")
        if host == parts.hostname:
            return f"{parts.scheme}://{parts.netloc}"
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit((parts.scheme, f"{host}{port}", "", "", ""))


def _default_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name: WebAuthn takes it as it is
    return "localhost" if address.is_loopback else host
