"""Django settings of the project, built per start and applied with settings.configure():
nothing here reads or sets DJANGO_SETTINGS_MODULE, so no other process inherits it.

allauth is configured as its documentation's quickstart says for an email-only site with
mandatory verification and MFA; everything else (rate limits, enumeration prevention, link
lifetimes, templates) is allauth's default. With an identity provider (`--idp`), allauth's own
OpenID Connect provider is registered as its documentation shows (SOCIALACCOUNT_PROVIDERS
"openid_connect", one app, PKCE on) and the rest of socialaccount stays as allauth ships it:
what it does with ID tokens, email addresses and sign-out is what the sso checks report.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authprobe.sandbox.django_project import mail_and_logging, project_defaults

HERE = Path(__file__).resolve().parent


PROVIDER_ID = "authprobe-id"  # the callback is /accounts/oidc/<provider_id>/login/callback/
PROVIDER_NAME = "Authprobe ID"
CLIENT_ID = "authprobe-allauth"


def callback_path(provider_id: str = PROVIDER_ID) -> str:
    return f"/accounts/oidc/{provider_id}/login/callback/"


@dataclass(frozen=True)
class OidcApp:
    """allauth's one OpenID Connect app: the IdP the project signs in with."""

    issuer: str  # allauth's server_url: it appends /.well-known/openid-configuration
    client_secret: str = field(repr=False)
    client_id: str = CLIENT_ID


@dataclass(frozen=True)
class AllauthConfig:
    db_path: str
    smtp_host: str
    smtp_port: int
    test_mode: bool = False
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    mail_sender: str = "authprobe allauth <no-reply@sandbox.test>"
    oidc: OidcApp | None = None


def build(config: AllauthConfig) -> dict[str, Any]:
    values: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": list(config.allowed_hosts),
        "ROOT_URLCONF": "authprobe.sandbox.allauth.urls",
        "WSGI_APPLICATION": None,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "allauth",
            "allauth.account",
            "allauth.mfa",
            "allauth.headless",
            "authprobe.sandbox.allauth.glue",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "allauth.account.middleware.AccountMiddleware",
        ],
        "AUTHENTICATION_BACKENDS": [
            "django.contrib.auth.backends.ModelBackend",
            "allauth.account.auth_backends.AuthenticationBackend",
        ],
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            # the project's frame (a sign-out button) wraps allauth's own layout; every
            # screen is allauth's own template, unchanged
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]},
        }],
        **project_defaults(config.db_path),  # SQLite (WAL), startproject's validators, UTC
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        "LOGIN_REDIRECT_URL": "/accounts/email/",
        "PASSWORD_RESET_TIMEOUT": 900,
        # allauth: email is the identity, verified before the first sign-in
        "ACCOUNT_LOGIN_METHODS": {"email"},
        "ACCOUNT_SIGNUP_FIELDS": ["email*", "password1*", "password2*"],
        "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
        "ACCOUNT_UNIQUE_EMAIL": True,
        "MFA_SUPPORTED_TYPES": ["totp", "recovery_codes"],
        "HEADLESS_ONLY": False,
        **mail_and_logging(config),  # mail to the sink, request errors on stderr
    }
    if config.oidc is not None:
        values["INSTALLED_APPS"] += ["allauth.socialaccount",
                                     "allauth.socialaccount.providers.openid_connect"]
        values["SOCIALACCOUNT_PROVIDERS"] = social_providers(config.oidc)
    if config.test_mode:
        # Django's own advice for test runs: a fast hasher.
        values["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return values


def social_providers(oidc: OidcApp) -> dict[str, Any]:
    """allauth's documented form for an OpenID Connect server, the app in settings (no SocialApp
    row, no django.contrib.sites); PKCE is the one setting allauth leaves off by default."""
    return {"openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [{
            "provider_id": PROVIDER_ID,
            "name": PROVIDER_NAME,
            "client_id": oidc.client_id,
            "secret": oidc.client_secret,
            "settings": {"server_url": oidc.issuer},
        }],
    }}


def configure(config: AllauthConfig) -> None:
    """Apply the settings to this process and set Django up (apps, signals)."""
    import django
    from django.conf import settings

    settings.configure(**build(config))
    django.setup()
