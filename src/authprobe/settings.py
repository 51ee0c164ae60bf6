"""The run's configuration: one typed model, read from `E2E_*` variables and `.env`.

Secrets are `SecretStr` and stay wrapped until the call that needs them, so they
cannot leak through a repr, a log line or a pytest report.

An empty value (`E2E_HOOK_TOKEN=` as a copied .env.example has it) is "not set", in the
environment and in .env alike: a check that needs it skips, saying so, instead of calling
the target with an empty token. `null` (UNSET) unsets a variable in the environment so
that .env's value does not apply either: a child such as a mutation run that must start
the sandbox gets `E2E_BASE_URL=null` whatever the team's .env says.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from authprobe.errors import ConfigError
from authprobe.profile import Channel
from authprobe.tls import Trust, load_bundle

UNSET = "null"  # a variable's value that means "not set", beating .env (pydantic-settings' none string)


class Settings(BaseSettings):
    """Everything a run needs to know about where the target and its mail are."""

    model_config = SettingsConfigDict(
        env_prefix="E2E_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        env_ignore_empty=True, env_parse_none_str=UNSET,
    )

    target: str = Field(
        default="sandbox", description="profile name in targets/ or a path to a TOML profile"
    )
    base_url: str | None = Field(
        default=None, description="target origin; unset with target=sandbox starts the sandbox"
    )
    sandbox_args: str = Field(
        default="",
        description="extra `python -m sandbox` arguments, e.g. '--defect NAME' (authprobe mutants --list)",
    )

    imap_host: str = "127.0.0.1"
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_ssl: bool = True
    mail_address: str | None = Field(
        default=None, description="base address for plus-addressing, e.g. qa@example.com"
    )
    mail_api_url: str | None = Field(
        default=None, description="the mail catcher's HTTP API (MailDev's web address, with its "
        "base path) for a profile with [mail] source = \"maildev\"; unset with a built-in target: "
        "the run starts MailDev")
    mail_api_user: str | None = Field(default=None, description="the catcher's web user, if it has one")
    mail_api_password: SecretStr | None = None

    sms_api_url: str | None = Field(
        default=None, description="the SMS gateway's API origin (Twilio's REST API); unset: the "
        "profile's [sms] api_url, else Twilio's own, or the sink of the sandbox the run starts")
    sms_account_sid: str | None = Field(default=None, description="the gateway account whose "
                                        "message list the test phone reads")
    sms_auth_token: SecretStr | None = None
    phone_prefix: str | None = Field(default=None, description="E.164 start of the numbers tests "
                                     "sign up with (default: the profile's [sms] number_prefix)")

    admin_token: SecretStr | None = None
    hook_token: SecretStr | None = None
    admin_email: str | None = Field(default=None, description="admin account for [admin_screen]")
    admin_password: SecretStr | None = None
    admin_totp_secret: SecretStr | None = Field(
        default=None, description="base32 TOTP key of the admin account, if it has MFA")
    provision: Annotated[list[Channel], NoDecode] = Field(
        default_factory=list,
        description="channels this run may use for throwaway users, in order (default: profile's)",
    )
    pool: SecretStr | None = Field(
        default=None, description='accounts lent per role: {"member": [{"email": …, "password": …}]}')
    devices: SecretStr | None = Field(
        default=None, description='devices with their own address, against staging: [{"proxy": '
        '"socks5://…" or "http://…", "address": "the address the app sees"}, …]; proxies may '
        'carry credentials, so it is a secret')
    sweep_grace_hours: float = Field(
        default=6.0, gt=0, description="users of runs older than this, found by list, are leftovers")
    state_dir: str = Field(default=".authprobe", description="users left for `authprobe sweep`")

    idp_url: str | None = Field(
        default=None, description="origin of the identity provider of the profile's [sso] (unset: "
        "the IdP a built-in target starts)")
    idp_admin_token: SecretStr | None = Field(default=None, description="token of [sso.admin_api]")
    idp_hook_token: SecretStr | None = Field(default=None, description="token of [sso.hooks]")
    sso_pool: SecretStr | None = Field(
        default=None, description='IdP identities that exist already, for [sso] users = "pool": '
        '[{"email": …, "password": …}]')

    egress_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    egress_mode: Literal["enforce", "report"] = "enforce"

    browser_path: str | None = Field(default=None, description="explicit browser executable")
    browser_endpoint: SecretStr | None = Field(
        default=None, description="ws:// endpoint of a `playwright run-server` (Browserless, Moon, "
        "a cloud grid); may carry a token, so it is a secret")
    mail_timeout: float = Field(default=30.0, gt=0)
    imap_timeout: float = Field(default=30.0, gt=0, description="seconds one IMAP stage (connect, "
                                "login, select, search, fetch, IDLE…) and opening the mailbox may take")
    http_timeout: float = Field(default=5.0, gt=0)
    realtime_max: str | None = Field(
        default=None, description="the real-time lane: expiry checks without a usable hook wait for "
        "lifetimes up to this long (90s, 30m, 2h); as --realtime-max")
    removal_timeout: float = Field(default=20.0, gt=0, description="seconds after a check's "
                                   "teardown starts by which each of its users is removed or left for "
                                   "`authprobe sweep`")
    ca_bundle: str | None = Field(
        default=None, description="PEM file of the CA(s) that signed the target's, mail server's "
        "or SMS gateway's certificates (a private CA), trusted beside the system's")
    ignore_https_errors: bool = Field(
        default=False, description="skip certificate verification everywhere (an explicit "
        "choice; the run says so once)")
    artifacts_dir: str = "test-results"
    keep_artifacts: Literal["on-failure", "always", "never"] = "on-failure"
    trace_screenshots: bool = Field(
        default=False, description="the filmstrip (a screencast) in traces kept by "
        "E2E_KEEP_ARTIFACTS; DOM snapshots, network and console are always in them")

    @field_validator("base_url", "sms_api_url", "idp_url", "mail_api_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _readable_bundle(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            load_bundle(value)
        except ConfigError as exc:
            raise ValueError(str(exc).removeprefix(f"E2E_CA_BUNDLE {value} ").rstrip(".")) from None
        return value

    def trust(self) -> Trust:
        """The certificates this run trusts (E2E_CA_BUNDLE, E2E_IGNORE_HTTPS_ERRORS)."""
        return Trust(self.ca_bundle, self.ignore_https_errors)

    @field_validator("egress_allow", "provision", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def secrets(self) -> dict[str, SecretStr]:
        """Every long-lived secret of the run, by its variable name (for scanners)."""
        found: dict[str, SecretStr] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found[f"E2E_{name.upper()}"] = value
        return found


def load_settings(base_url_option: str | None = None) -> Settings:
    """Read settings, turning validation errors into one sentence per bad variable.

    `base_url_option` is pytest's `--base-url` (pytest-base-url, which pytest-playwright
    uses): the same meaning as E2E_BASE_URL, and a run given two different origins stops.
    """
    try:
        if not base_url_option:
            return Settings()
        if not base_url_option.startswith(("http://", "https://")):
            raise ConfigError(f"--base-url {base_url_option!r} must start with http:// or https://.")
        from_env = Settings().base_url
        option = base_url_option.rstrip("/")
        if from_env is not None and from_env != option:
            raise ConfigError(f"--base-url {option} and E2E_BASE_URL {from_env} name different "
                              "targets; give one of them (or the same origin in both).")
        return Settings(base_url=option)
    except SettingsError as exc:
        raise ConfigError(f"Invalid configuration: {exc}; fix the variable or .env.") from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "?"
            # never echo the input: it may be a secret
            message = error["msg"]  # lowered at its start only: paths and names keep their case
            problems.append(f"E2E_{field.upper()} {message[:1].lower()}{message[1:]}")
        raise ConfigError(
            "Invalid configuration: " + "; ".join(problems) + ". Fix the variable(s) or .env."
        ) from None
