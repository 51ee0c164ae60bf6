"""Django settings of the IdP, built per start and applied with settings.configure() (nothing
reads or sets DJANGO_SETTINGS_MODULE, so no other process inherits it).

django-oauth-toolkit is configured as its OIDC guide says for a provider with RP-initiated
logout; what differs from its defaults is named here: RS256 keys that rotate at run time
(keys.py), refresh tokens rotated on use, no logout prompt for a valid id_token_hint.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authprobe.sandbox.django_project import project_defaults

HERE = Path(__file__).resolve().parent
SCOPES = {"openid": "Sign you in", "email": "See your email address",
          "profile": "See your name"}


@dataclass(frozen=True)
class IdpConfig:
    db_path: str
    issuer: str  # http://H:P/o: fixed, so every token names the address the ready line gave
    signing_key: str  # PEM of the first active RSA key
    allowed_hosts: tuple[str, ...]
    admin_token: str = field(repr=False)
    hook_token: str = field(default="", repr=False)  # empty without --test-mode
    test_mode: bool = False
    fresh_db: bool = False  # a new scratch file: tables straight from the models (see below)
    access_token_ttl: int = 300
    jwks_max_age: int = 300


def build(config: IdpConfig) -> dict[str, Any]:
    values: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": list(config.allowed_hosts),
        "ROOT_URLCONF": "authprobe.sandbox.idp.urls",
        "WSGI_APPLICATION": None,
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        "MIDDLEWARE": [
            "authprobe.sandbox.idp.faults.outage_middleware",
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(HERE / "templates")],  # ours win over django-oauth-toolkit's
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]},
        }],
        **project_defaults(config.db_path),
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",  # countable, deletable per user
        "SESSION_COOKIE_NAME": "authprobe_idp_session",  # never the app's cookie on a shared host
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_NAME": "authprobe_idp_csrftoken",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        "LOGIN_URL": "/accounts/login/",
        "LOGIN_REDIRECT_URL": "/accounts/",
        "LOGOUT_REDIRECT_URL": "/accounts/login/",
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR",
                                           "propagate": False}},
        },
        "OAUTH2_PROVIDER": {
            "OIDC_ENABLED": True,
            "OIDC_ISS_ENDPOINT": config.issuer,
            "OIDC_RSA_PRIVATE_KEY": config.signing_key,
            "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [],
            "OIDC_JWKS_MAX_AGE_SECONDS": config.jwks_max_age,
            "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
            "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
            "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
            "OAUTH2_VALIDATOR_CLASS": "authprobe.sandbox.idp.validator.IdpValidator",
            "SCOPES": SCOPES,
            "DEFAULT_SCOPES": ["openid"],
            "ACCESS_TOKEN_EXPIRE_SECONDS": config.access_token_ttl,
            "ID_TOKEN_EXPIRE_SECONDS": config.access_token_ttl,
            "ROTATE_REFRESH_TOKEN": True,
            "PKCE_REQUIRED": True,
            "REQUEST_APPROVAL_PROMPT": "auto",  # consent once, remembered while tokens live
        },
        "AUTHPROBE_TEST_MODE": config.test_mode,
        "IDP_ADMIN_TOKEN": config.admin_token,
        "IDP_HOOK_TOKEN": config.hook_token,
    }
    if config.fresh_db:
        # A scratch database starts empty and dies with the process: `migrate --run-syncdb`
        # creates the tables from the current models in 0.05 s instead of replaying ~40
        # migrations (0.9 s, half the start-up). A --db file may outlive an upgrade, so it
        # is migrated properly.
        values["MIGRATION_MODULES"] = {label: None for label in
                                       ("auth", "contenttypes", "sessions", "oauth2_provider")}
    if config.test_mode:
        # Django's own advice for test runs: a fast hasher (passwords and client secrets).
        values["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return values


def configure(config: IdpConfig) -> None:
    """Apply the settings to this process and set Django up (apps, signals)."""
    import django
    from django.conf import settings

    settings.configure(**build(config))
    django.setup()
