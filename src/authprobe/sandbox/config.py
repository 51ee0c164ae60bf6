"""Sandbox configuration: one frozen value handed to `create_app`, so a test can build
an app with exactly the TTLs, tokens, defects and shapes it wants."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

HashProfile = Literal["fast", "default"]
DEFAULT_CLIENT_ID = "authprobe-sandbox"  # the sandbox's name at its IdP


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the app needs to know; secrets are plain here because the app owns them."""

    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    mail_from: str = "authprobe sandbox <no-reply@sandbox.test>"
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    hook_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    test_mode: bool = False
    idle_ttl: int = 1800
    absolute_ttl: int = 28800
    reset_ttl: int = 900
    activation_ttl: int = 86400
    defects: frozenset[str] = frozenset()
    # UI/API shapes of real auth stacks (src/authprobe/sandbox/shapes.py); none = the documented default.
    shapes: frozenset[str] = frozenset()
    db_path: str | None = None
    # "fast" lowers argon2 cost so test suites stay quick; never for a real deployment.
    hash_profile: HashProfile = "default"
    # Network policy (src/authprobe/sandbox/network.py). Devices of a run on this machine leave from
    # 127.77.x.y, outside the admin and hook networks; the run itself from 127.0.0.1.
    admin_networks: tuple[str, ...] = ("127.0.0.0/16", "::1/128")
    bound_roles: tuple[str, ...] = ("admin",)
    trusted_proxies: tuple[str, ...] = ()
    hook_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    signin_limit_attempts: int = 5
    signin_limit_window: float = 60.0
    signin_limit_exempt: tuple[str, ...] = ("127.0.0.1/32", "::1/128")  # the machine itself
    signin_rate: int | None = None  # sign-ins per address per signin_rate_window, then 429; None: no rate
    signin_rate_window: float = 60.0
    account_lockout_attempts: int = 5  # with the account_lockout shape: wrong passwords per account
    account_lockout_window: float = 300.0
    mfa_attempts: int = 5  # wrong second-factor codes per account, then every code is refused
    mfa_attempts_window: float = 300.0
    reset_mail_limit: int = 3  # reset mails one address receives per window; further requests send none
    reset_mail_window: float = 900.0
    signup_limit_attempts: int = 3  # sign-ups per address (outside signin_limit_exempt) per window
    signup_limit_window: float = 3600.0
    # Text messages (src/authprobe/sandbox/sms.py) go out through a gateway with Twilio's REST API, the
    # sandbox's own sink (src/authprobe/sandbox/smssink.py) unless told otherwise; no URL: no SMS at all.
    sms_api_url: str | None = None
    sms_account_sid: str = ""
    sms_auth_token: str = field(default="", repr=False)
    sms_from: str = "+15005550006"
    sms_code_ttl: int = 300
    sms_codes_per_window: int = 3  # per user and purpose: the first code and two resends
    sms_code_window: int = 600
    # Sign-in through an OpenID Connect provider (src/authprobe/sandbox/sso.py); no issuer: no SSO.
    idp_issuer: str | None = None
    idp_discovery_url: str | None = None
    idp_client_id: str = DEFAULT_CLIENT_ID
    idp_client_secret: str = field(default="", repr=False)
    # Passkeys (src/authprobe/sandbox/passkeys.py): WebAuthn refuses an IP address as RP ID, so
    # browsers reach the sandbox as http://localhost:PORT; no origin: the request's own.
    passkey_rp_id: str = "localhost"
    passkey_origin: str | None = None

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")
