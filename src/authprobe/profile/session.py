"""What the app says and promises: the session probe, mail patterns, policy, network rules,
texts, budgets and the role matrix."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

import jmespath
import jmespath.exceptions
from pydantic import Field, field_validator, model_validator

from authprobe.profile._strict import _Strict


def jmespath_problem(expression: str, where: str) -> str | None:
    """Why `expression` is not a usable JMESPath expression, or None when it is."""
    if expression.startswith("/"):
        return (f"{where} {expression!r} is a JSON pointer; write it as a JMESPath expression "
                f"(for example {expression.strip('/').replace('/', '.')!r})")
    try:
        jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        return f"{where} is not a JMESPath expression ({str(exc).splitlines()[0]})"
    return None


class SessionProbe(_Strict):
    """Where the backend says who is signed in: JMESPath expressions over its JSON answers.

    The HTTP status is part of the answer: a status in `signed_out_status` means nobody is
    signed in (its body is still read for `mfa_pending`); with `authenticated` unset, any
    2xx answer means someone is. Roles may come from a second endpoint (`roles_url`).
    """

    url: str = Field(default="/api/session", pattern=r"^/",
                     description="a path on the target's origin, starting with /")
    authenticated: str | None = Field(
        default="authenticated", description="JMESPath; unset: a 2xx answer means signed in")
    email: str = "user.email"
    roles: str = "user.roles"
    roles_url: str | None = Field(default=None, pattern=r"^/",
                                  description="a second endpoint the roles expression reads")
    mfa_pending: str | None = "mfa_pending"
    signed_out_status: list[int] = Field(default_factory=lambda: [401])
    cookie_name: str = "session"

    @model_validator(mode="after")
    def _expressions_compile(self) -> SessionProbe:
        for name in ("authenticated", "email", "roles", "mfa_pending"):
            expression = getattr(self, name)
            problem = expression and jmespath_problem(expression, f"session_probe.{name}")
            if problem:
                raise ValueError(problem)
        return self


class MailPatterns(_Strict):
    activation_subject: str = "Activate your account"
    activation_link: str = r"https?://\S+/activate\?token=[\w\-.]+"
    reset_subject: str = "Reset your password"
    reset_link: str = r"https?://\S+/reset/confirm\?token=[\w\-.]+"

    @model_validator(mode="after")
    def _regexes_compile(self) -> MailPatterns:
        for field in ("activation_link", "reset_link"):
            try:
                re.compile(getattr(self, field))
            except re.error as exc:
                raise ValueError(f"mail.{field} is not a valid regular expression ({exc})") from None
        return self


class Policy(_Strict):
    """What the app promises; tests read these instead of hard-coding them."""

    email_verification_required: bool = True
    mfa: Literal["off", "optional", "required"] = "optional"
    totp_period: int = 30
    totp_digits: int = 6
    totp_skew_steps: int = Field(default=1, ge=0, description="windows accepted either side")
    recovery_codes: int | None = Field(
        default=10, description="how many enrolment gives; unset: not stated, not checked")
    reset_token_ttl_seconds: int = 900
    reset_ends_other_sessions: bool = True
    password_change_ends_other_sessions: bool = True  # ASVS 7.4.3
    password_change_keeps_session: bool = True  # the browser that changed it stays signed in
    idle_ttl_seconds: int | None = None
    absolute_ttl_seconds: int | None = None
    concurrent_sessions: Literal["allowed", "single"] = "allowed"
    logout_scope: Literal["device", "all"] = "device"
    enumeration_safe: bool = True
    reset_mail_to_unknown: Literal["none", "notice"] = Field(
        default="none", description="notice: unknown addresses get a mail with no reset link")
    tokens_in_local_storage: bool = False
    key_rotation_grace_seconds: int = Field(
        default=300, ge=0, description="how long a retired signing key is still accepted")
    key_rotation_sessions: Literal["kept", "ended"] = Field(
        default="kept", description="sessions signed before a rotation, inside the grace window")
    key_rotation_links: Literal["honoured", "refused"] = Field(
        default="honoured", description="mailed links signed before a rotation, inside the grace")


def _networks(values: list[str] | None) -> list[str] | None:
    """Each entry an address or CIDR network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7")."""
    for value in values or []:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an address or a network like 10.0.0.0/8") from None
    return values


class SigninLimit(_Strict):
    attempts: int = Field(gt=0, description="failed sign-ins one address may make in the window")
    window_seconds: float = Field(gt=0)
    exempt: list[str] = Field(default_factory=list, description="networks the limit leaves alone")

    _valid = field_validator("exempt")(_networks)


class Network(_Strict):
    """Where users may come from; each check runs only for what the profile states."""

    admin_networks: list[str] | None = Field(
        default=None, description="networks the admin roles may sign in and work from")
    admin_roles: list[str] = Field(default_factory=lambda: ["admin"])
    bound_roles: list[str] = Field(
        default_factory=list, description="roles whose sessions stay bound to the sign-in address")
    signin_limit: SigninLimit | None = Field(
        default=None, description="failed sign-ins per address before that address must wait")

    _valid = field_validator("admin_networks")(_networks)


E164_PREFIX = r"^\+[1-9]\d{0,10}$"  # the start of an E.164 number: "+" and up to 11 digits


class SmsChannel(_Strict):
    """[sms]: what the app does by text message, and the gateway whose message list the test
    phone reads (its account and token come from settings: E2E_SMS_*)."""

    provider: Literal["twilio"] = Field(
        default="twilio", description="the message-list API the gateway speaks (Twilio's REST API)")
    api_url: str | None = Field(
        default=None, pattern=r"^https?://",
        description="the gateway's origin; unset: Twilio's, or the sink of a target the run starts")
    activation: bool = Field(default=False, description="sign-up with a mobile number activates "
                             "by a texted code instead of the mailed link")
    mfa: bool = Field(default=False, description="text codes are a second factor users can choose")
    number_prefix: str = Field(
        default="+1555", pattern=E164_PREFIX,
        description="E.164 start of test numbers the app accepts; E2E_PHONE_PREFIX overrides it")
    code_digits: int = Field(default=6, ge=4, le=10)
    code_ttl_seconds: int | None = Field(default=None, gt=0,
                                         description="how long a texted code works; unset: not stated")
    codes_per_window: int | None = Field(
        default=None, gt=0, description="most codes one user is texted for one purpose per window "
        "(the first and the resends); unset: no limit stated")
    code_window_seconds: float = Field(default=600, gt=0)


class Budgets(_Strict):
    """Seconds each kind of step may take at the median of a run's samples (src/authprobe/oracle/budgets.py).

    The defaults hold with room to spare on a loaded two-core CI machine; set yours from what
    your users should wait, not from what the app does today."""

    sign_in: float = Field(default=2.0, gt=0, description="submit email and password → landed")
    mfa: float = Field(default=2.0, gt=0, description="submit the code → landed")
    sign_up: float = Field(default=3.0, gt=0, description="submit the sign-up form → landed")
    reset: float = Field(default=3.0, gt=0, description="submit the new password → landed")
    page_load: float = Field(default=2.0, gt=0, description="open a protected page → loaded")
    p95_factor: float = Field(default=3.0, ge=1,
                              description="the 95th percentile may reach this × the budget")
    calls_per_page_load: int = Field(
        default=2, ge=1, description="calls one page load may make to each session or role API")


class Resource(_Strict):
    """One protected page or endpoint and the roles allowed to use it."""

    path: str
    kind: Literal["page", "api"]
    allowed: list[str]
    nav_link: str | None = Field(default=None, description="link name that offers it in the UI")
    nav_link_for_all: bool = Field(
        default=False, description="the link is shown to every role by design (the page refuses)")


class Roles(_Strict):
    names: list[str] = Field(default_factory=lambda: ["member"])
    default: str = "member"
    resources: list[Resource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_roles(self) -> Roles:
        known = set(self.names)
        if self.default not in known:
            raise ValueError(f"roles.default {self.default!r} is not in roles.names")
        for resource in self.resources:
            unknown = set(resource.allowed) - known
            if unknown:
                raise ValueError(f"resource {resource.path} allows unknown roles {sorted(unknown)}")
        return self
