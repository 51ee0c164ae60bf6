"""Django settings of the project, built per start and applied with settings.configure():
nothing here reads or sets DJANGO_SETTINGS_MODULE, so no other process inherits it.

The switches are the documented ones, chosen for an honest deployment; the known
misconfigurations (--misconfigure NAME) change exactly one of them each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from authprobe.errors import UnknownMisconfigurationError
from authprobe.sandbox.django_project import mail_and_logging, project_defaults

HERE = Path(__file__).resolve().parent

# django-axes: wrong passwords that lock an account, and for how long (targets/django_two_factor.toml
# [lockout] states the same numbers)
LOCKOUT_FAILURES = 5
LOCKOUT_COOLOFF = timedelta(minutes=5)
# django-otp: a wrong TOTP code refuses every code for this many seconds, doubled after each
# further one ([lockout] second_factor kind = "backoff", first_delay_seconds)
TOTP_THROTTLE_FACTOR = 1

# name -> what it changes (one line each, as src/authprobe/sandbox/defects.py does for the sandbox)
MISCONFIGURATIONS: dict[str, str] = {
    "verification_optional":
        "django-registration's one-step workflow: accounts are active and signed in at once, "
        "no activation mail",
    "signed_cookie_sessions":
        "SESSION_ENGINE signed_cookies: logout clears this browser's cookie, a copied cookie "
        "keeps working",
    "revealing_reset":
        "a PasswordResetForm subclass that tells unknown addresses there is no such account "
        "(account enumeration)",
    "password_change_keeps_sessions":
        "User.get_session_auth_hash no longer covers the password: other sessions survive a "
        "password change (and a reset)",
    "otp_unthrottled":
        "OTP_TOTP_THROTTLE_FACTOR = 0: wrong TOTP codes are never slowed down, so the six digits "
        "can be guessed at the speed of the network",
}


def validate_misconfigurations(names: list[str]) -> frozenset[str]:
    unknown = sorted(set(names) - set(MISCONFIGURATIONS))
    if unknown:
        raise UnknownMisconfigurationError(
            f"Unknown misconfiguration {', '.join(unknown)}; known ones: "
            f"{', '.join(sorted(MISCONFIGURATIONS))}.")
    return frozenset(names)


@dataclass(frozen=True)
class DjangoConfig:
    db_path: str
    smtp_host: str
    smtp_port: int
    test_mode: bool = False
    hook_token: str = ""
    misconfigurations: frozenset[str] = field(default_factory=frozenset)
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
    mail_sender: str = "authprobe django <no-reply@sandbox.test>"
    session_age: int = 1800  # SESSION_COOKIE_AGE, saved at every request: the idle timeout
    reset_timeout: int = 900  # PASSWORD_RESET_TIMEOUT


def build(config: DjangoConfig) -> dict[str, Any]:
    wrong = config.misconfigurations
    session_engine = ("django.contrib.sessions.backends.signed_cookies"
                      if "signed_cookie_sessions" in wrong
                      else "django.contrib.sessions.backends.db")
    values: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": list(config.allowed_hosts),
        "ROOT_URLCONF": "authprobe.sandbox.django_two_factor.urls",
        "WSGI_APPLICATION": None,
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.forms",
            "django_otp",
            "django_otp.plugins.otp_static",
            "django_otp.plugins.otp_totp",
            "two_factor",
            "axes",  # lockout after wrong passwords; its AccessAttempt admin unlocks by hand
            "authprobe.sandbox.django_two_factor.accounts",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "axes.middleware.AxesMiddleware",  # last, as its docs ask: turns a lockout into its page
        ],
        # axes first: it refuses a locked account before any password is checked
        "AUTHENTICATION_BACKENDS": ["authprobe.sandbox.django_two_factor.accounts.lockout.LockoutBackend",
                                    "django.contrib.auth.backends.ModelBackend"],
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(HERE / "templates")],  # the project's templates win over the apps'
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "authprobe.sandbox.django_two_factor.views.navigation",
            ]},
        }],
        # Form errors through the project's templates (django/forms/errors/list/ul.html).
        "FORM_RENDERER": "django.forms.renderers.TemplatesSetting",
        **project_defaults(config.db_path),  # SQLite (WAL), startproject's validators, UTC
        "AUTH_USER_MODEL": "accounts.User",
        # Sessions: in the database, idle timeout of 30 min (every request moves the expiry).
        "SESSION_ENGINE": session_engine,
        "SESSION_COOKIE_AGE": config.session_age,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        # Sign-in is django-two-factor-auth's wizard; the admin's login redirects to it.
        "LOGIN_URL": "two_factor:login",
        "LOGIN_REDIRECT_URL": "/account",
        "LOGOUT_REDIRECT_URL": None,  # LogoutView renders registration/logged_out.html
        "PASSWORD_RESET_TIMEOUT": config.reset_timeout,
        # django-registration
        "ACCOUNT_ACTIVATION_DAYS": 1,
        "REGISTRATION_OPEN": True,
        # django-axes: per account only (the sign-in form's username, whatever browser or
        # address), not per address: one noisy address must not lock everyone out.
        "AXES_LOCKOUT_PARAMETERS": ["username"],
        "AXES_USERNAME_FORM_FIELD": "username",  # authenticate()'s keyword, not USERNAME_FIELD
        "AXES_USERNAME_CALLABLE": "authprobe.sandbox.django_two_factor.accounts.lockout.lockout_username",
        "AXES_FAILURE_LIMIT": LOCKOUT_FAILURES,
        "AXES_COOLOFF_TIME": LOCKOUT_COOLOFF,
        "AXES_RESET_ON_SUCCESS": True,  # a right password forgets the earlier wrong ones
        "AXES_LOCKOUT_TEMPLATE": "registration/locked_out.html",  # one page, known or not
        "OTP_TOTP_THROTTLE_FACTOR": 0 if "otp_unthrottled" in wrong else TOTP_THROTTLE_FACTOR,
        **mail_and_logging(config),  # mail to the sink, request errors on stderr
        # The project's own switches.
        "AUTHPROBE_TEST_MODE": config.test_mode,
        "AUTHPROBE_HOOK_TOKEN": config.hook_token,
        "AUTHPROBE_MISCONFIGURATIONS": config.misconfigurations,
    }
    if config.test_mode:
        # Django's own advice for test runs: a fast hasher.
        values["PASSWORD_HASHERS"] = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # the key-rotation hooks' grace windows end before anything reads a key
        values["MIDDLEWARE"].insert(0, "authprobe.sandbox.django_two_factor.views.expire_key_fallbacks")
    return values


def configure(config: DjangoConfig) -> None:
    """Apply the settings to this process and set Django up (apps, signals)."""
    import django
    from django.conf import settings

    settings.configure(**build(config))
    django.setup()
