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


def pointer_as_jmespath(pointer: str) -> str | None:
    """The JMESPath spelling of a JSON pointer (`/data/flows/2/is_pending` →
    `data.flows[2].is_pending`), or None when there is none that compiles."""
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.strip("/").split("/")]
    spelt = ""
    for part in parts:
        if part.isdigit():
            spelt += f"[{part}]"
        elif part.isidentifier():
            spelt += f".{part}" if spelt else part
        else:
            quoted = part.replace("\\", "\\\\").replace('"', '\\"')
            spelt += f'."{quoted}"' if spelt else f'"{quoted}"'
    if not spelt or spelt.startswith("["):
        spelt = f"@{spelt}"
    try:
        jmespath.compile(spelt)
    except jmespath.exceptions.JMESPathError:
        return None
    return spelt


def jmespath_problem(expression: str, where: str) -> str | None:
    """Why `expression` is not a usable JMESPath expression, or None when it is; a JSON
    pointer is answered with its JMESPath spelling (one that compiles)."""
    if expression.startswith("/"):
        spelt = pointer_as_jmespath(expression)
        example = f" (for example {spelt!r})" if spelt else ""
        return f"{where} {expression!r} is a JSON pointer; write it as a JMESPath expression{example}"
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
    email: str = Field(default="user.email", description="JMESPath to the signed-in user's address: "
                       "compared with the UI's identity and the user a check signed in")
    roles: str = Field(default="user.roles", description="JMESPath to the user's roles (a list or one "
                       "string): the role checks compare it with [roles]")
    roles_url: str | None = Field(default=None, pattern=r"^/",
                                  description="a second endpoint the roles expression reads")
    mfa_pending: str | None = Field(
        default="mfa_pending", description="JMESPath, true while a second step is pending: the MFA "
        "checks require it between password and code; unset: never pending")
    signed_out_status: list[int] = Field(
        default_factory=lambda: [401], description="statuses that mean nobody is signed in (never "
        "a 5xx); any other non-2xx stops the run")
    cookie_name: str = Field(default="session", description="the session cookie: the session, "
                             "hygiene and concurrency checks copy, drop and inspect it")

    @model_validator(mode="after")
    def _expressions_compile(self) -> SessionProbe:
        """Every expression that does not compile, in one message (not the first alone)."""
        problems = [problem for name in ("authenticated", "email", "roles", "mfa_pending")
                    if (expression := getattr(self, name))
                    and (problem := jmespath_problem(expression, f"session_probe.{name}"))]
        if problems:
            raise ValueError("\n".join(problems))  # one line each: loading lists them
        return self


class MailPatterns(_Strict):
    """How the mails the app sends are recognised in the test mailbox."""

    activation_subject: str = Field(default="Activate your account", description="a substring of the "
                                    "activation mail's subject: sign-up and activation checks wait for it")
    activation_link: str = Field(default=r"https?://\S+/activate\?token=[\w\-.]+", description="a "
                                 "regex matching the whole activation link in that mail")
    reset_subject: str = Field(default="Reset your password", description="a substring of the reset "
                               "mail's subject: the reset checks wait for it")
    reset_link: str = Field(default=r"https?://\S+/reset/confirm\?token=[\w\-.]+", description="a "
                            "regex matching the whole reset link in that mail")
    code_pattern: str | None = Field(
        default=None, examples=[r"([A-Z0-9]{4})[- ]([A-Z0-9]{4})"], description="a regex for a mailed "
        "one-time code of letters and digits, matched as a whole word; its groups joined are the code "
        "(a code split by a dash or space); unset: six digits")
    source: Literal["imap", "maildev"] = Field(
        default="imap", description="where the run reads the mail: imap (E2E_IMAP_*), or a MailDev "
        "catcher's HTTP API (E2E_MAIL_API_URL; unset with a built-in target: the run starts MailDev "
        "and the target sends to it)")

    @model_validator(mode="after")
    def _regexes_compile(self) -> MailPatterns:
        problems = []
        for field in ("activation_link", "reset_link", "code_pattern"):
            if getattr(self, field) is None:
                continue
            try:
                re.compile(getattr(self, field))
            except re.error as exc:
                problems.append(f"mail.{field} is not a valid regular expression ({exc})")
        if problems:
            raise ValueError("\n".join(problems))  # one line each: loading lists them
        return self


class SigninRate(_Strict):
    """How many sign-ins (right password or wrong) the app takes before it throttles (HTTP
    429 or the login screen's throttled_message): the run paces its sign-ins under this."""

    per_address: int | None = Field(default=None, gt=0, description="sign-ins one client address may "
                                    "make per window; the run's own and each device's count apart")
    per_account: int | None = Field(default=None, gt=0, description="sign-ins into one account per "
                                    "window, from any address")
    window_seconds: float = Field(default=60, gt=0, description="the window both are counted over")


class Policy(_Strict):
    """What the app promises; tests read these instead of hard-coding them."""

    email_verification_required: bool = Field(default=True, description="decides verdicts: true, "
                                              "an unactivated account must not sign in (sign-up checks)")
    mfa: Literal["off", "optional", "required"] = Field(
        default="optional", description="off: MFA checks skip; required: sign-in without it must not pass")
    totp_period: int = Field(default=30, description="seconds per TOTP code (the MFA flows' codes)")
    totp_digits: int = Field(default=6, description="digits per TOTP code")
    totp_skew_steps: int = Field(default=1, ge=0, description="windows accepted either side")
    recovery_codes: int | None = Field(
        default=10, description="how many enrolment gives; unset: not stated, not checked")
    reset_token_ttl_seconds: int = Field(default=900, description="decides verdicts: a reset link "
                                         "older than this must be refused (the reset checks, with "
                                         "[hooks] backdate_tokens)")
    reset_ends_other_sessions: bool = Field(default=True, description="decides verdicts: a reset "
                                            "by mail signs out every other session (test_reset)")
    password_change_ends_other_sessions: bool = Field(
        default=True, description="decides verdicts: a password change signs out the user's other "
        "browsers (ASVS 7.4.3; e2e/test_password_change.py); false: they must stay signed in")
    password_change_keeps_session: bool = Field(
        default=True, description="decides verdicts: the browser that changed the password stays "
        "signed in (e2e/test_password_change.py); false: it must be signed out")
    idle_ttl_seconds: int | None = Field(
        default=None, examples=[1800], description="a session unused this long ends (hygiene checks, "
        "with [hooks] backdate_sessions); unset: not checked")
    absolute_ttl_seconds: int | None = Field(
        default=None, examples=[28800], description="a session ends this long after sign-in however "
        "used; unset: not checked")
    concurrent_sessions: Literal["allowed", "single"] = Field(
        default="allowed", description="single: a new sign-in ends the older session (concurrency checks)")
    logout_scope: Literal["device", "all"] = Field(
        default="device", description="what sign-out ends: this browser, or every session of the user")
    enumeration_safe: bool = Field(default=True, description="sign-in and reset answer alike for "
                                   "unknown and known addresses (sign-in and reset checks)")
    reset_mail_to_unknown: Literal["none", "notice"] = Field(
        default="none", description="notice: unknown addresses get a mail with no reset link")
    tokens_in_local_storage: bool = Field(default=False, description="true: the app keeps tokens in "
                                          "web storage by design (the hygiene check accepts it)")
    key_rotation_grace_seconds: int = Field(
        default=300, ge=0, description="how long a retired signing key is still accepted")
    key_rotation_sessions: Literal["kept", "ended"] = Field(
        default="kept", description="sessions signed before a rotation, inside the grace window")
    key_rotation_links: Literal["honoured", "refused"] = Field(
        default="honoured", description="mailed links signed before a rotation, inside the grace")
    signin_rate: SigninRate | None = Field(
        default=None, examples=[{"per_address": 30, "window_seconds": 60}], description="the app's "
        "sign-in rate limit: every sign-in of the run (all xdist workers) waits to stay under it; "
        "unset: no limit stated, and a throttled sign-in ends the check as an environment failure "
        "(exit 3) naming this key")


def _networks(values: list[str] | None) -> list[str] | None:
    """Each entry an address or CIDR network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7")."""
    for value in values or []:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an address or a network like 10.0.0.0/8") from None
    return values


class SigninLimit(_Strict):
    """How many failed sign-ins one address may make before it must wait."""

    attempts: int = Field(gt=0, description="failed sign-ins one address may make in the window")
    window_seconds: float = Field(gt=0, description="the window those attempts are counted over")
    exempt: list[str] = Field(default_factory=list, description="networks the limit leaves alone")

    _valid = field_validator("exempt")(_networks)


class AccountLockout(_Strict):
    """How many wrong passwords lock one account, for every address."""

    attempts: int = Field(gt=0, description="wrong passwords for one account in the window")
    window_seconds: float = Field(gt=0, description="the window those attempts are counted over")


class Network(_Strict):
    """Where users may come from; each check runs only for what the profile states."""

    admin_networks: list[str] | None = Field(
        default=None, description="networks the admin roles may sign in and work from")
    admin_roles: list[str] = Field(default_factory=lambda: ["admin"],
                                   description="the roles admin_networks applies to")
    bound_roles: list[str] = Field(
        default_factory=list, description="roles whose sessions stay bound to the sign-in address")
    signin_limit: SigninLimit | None = Field(
        default=None, description="failed sign-ins per address before that address must wait "
        "(the sign-in limit check: other devices must still sign in)")
    account_lockout: AccountLockout | None = Field(
        default=None, description="failed sign-ins per account before it is locked for every address "
        "(the sign-in limit check: other devices are refused that account, other accounts sign in); "
        "with signin_limit: both scopes")

    _valid = field_validator("admin_networks")(_networks)


E164_PREFIX = r"^\+[1-9]\d{0,10}$"  # the start of an E.164 number: "+" and up to 11 digits


class SmsChannel(_Strict):
    """What the app does by text message, and the gateway whose message list the test
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
    code_digits: int = Field(default=6, ge=4, le=10, description="digits of a texted code (how the "
                             "test phone finds it in a message)")
    code_pattern: str | None = Field(
        default=None, examples=[r"[A-Z0-9]{3}-[A-Z0-9]{3}"], description="a regex for a texted code "
        "of letters and digits, matched as a whole word (its groups joined, when it has any, are the "
        "code); unset: code_digits digits")

    @field_validator("code_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"sms.code_pattern is not a valid regular expression ({exc})") from None
        return value
    code_ttl_seconds: int | None = Field(default=None, gt=0,
                                         description="how long a texted code works; unset: not stated")
    codes_per_window: int | None = Field(
        default=None, gt=0, description="most codes one user is texted for one purpose per window "
        "(the first and the resends); unset: no limit stated")
    code_window_seconds: float = Field(default=600, gt=0, description="the window codes_per_window "
                                       "counts over")


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

    path: str = Field(description="the page's or endpoint's path")
    kind: Literal["page", "api"] = Field(description="page: opened in the browser; api: called with "
                                         "the browser's cookies")
    allowed: list[str] = Field(description="the roles that may use it; every other role must be "
                               "refused (role checks): 401, 403 or 404, or a redirect to paths.login "
                               "or to one of refused_by_redirect_to; any other redirect counts as served")
    refused_by_redirect_to: list[str] = Field(
        default_factory=list, examples=[["/admin/login/"]],
        description="paths besides paths.login a refused request is redirected to (Django's admin "
        "sends a signed-in user without staff rights to /admin/login/): such a redirect counts as "
        "refused by the role checks")
    nav_link: str | None = Field(default=None, description="link name that offers it in the UI")
    nav_link_for_all: bool = Field(
        default=False, description="the link is shown to every role by design (the page refuses)")


class Roles(_Strict):
    """The app's roles and the role matrix the role checks walk."""

    names: list[str] = Field(default_factory=lambda: ["member"], description="every role of the app")
    default: str = Field(default="member", description="the role a new user gets")
    resources: list[Resource] = Field(default_factory=list, description="the role matrix: protected "
                                      "pages and endpoints with the roles allowed (role checks)")

    @model_validator(mode="after")
    def _known_roles(self) -> Roles:
        known = set(self.names)
        problems = [] if self.default in known else [
            f"roles.default {self.default!r} is not in roles.names"]
        for resource in self.resources:
            unknown = set(resource.allowed) - known
            if unknown:
                problems.append(f"resource {resource.path} allows unknown roles {sorted(unknown)}")
        if problems:
            raise ValueError("\n".join(problems))  # one line each: loading lists them
        return self
