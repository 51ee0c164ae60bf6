"""What the built-in Django projects (sandbox/django_two_factor, sandbox/allauth) set up alike:
the hosts they answer to, the database and `startproject`'s defaults, mail through Django's SMTP
backend to the local sink, and request errors on stderr."""

from __future__ import annotations

from typing import Any, Protocol


class MailConfig(Protocol):
    @property
    def smtp_host(self) -> str: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def mail_sender(self) -> str: ...


def allowed_hosts(host: str) -> tuple[str, ...]:
    if host in ("0.0.0.0", "::", ""):
        return ("*",)  # listening everywhere: any name may reach it
    return tuple(dict.fromkeys(("127.0.0.1", "localhost", "[::1]", host)))


def mail_and_logging(config: MailConfig) -> dict[str, Any]:
    """Django settings: mail to the sink (plain SMTP, a bounded wait), request errors to stderr."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": config.smtp_host,
        "EMAIL_PORT": config.smtp_port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": config.mail_sender,
        "SERVER_EMAIL": config.mail_sender,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR",
                                           "propagate": False}},
        },
    }


def project_defaults(db_path: str) -> dict[str, Any]:
    """Django settings: SQLite in WAL mode (writers wait, never fail at once), the password
    validators and i18n that `startproject` writes, static files' URL."""
    return {
        "DATABASES": {"default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": db_path,
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": "/static/",
    }
