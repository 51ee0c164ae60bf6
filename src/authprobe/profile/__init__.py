"""Target profiles: everything app-specific the suite needs, as data (TOML).

Onboarding a conventional app should need a profile and no Python: paths,
locator overrides, the session probe, mail patterns, policy, the role matrix,
admin operations and test hooks all live here.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Literal

import jmespath
import jmespath.exceptions
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from authprobe.errors import ConfigError
from authprobe.resources import targets_dir

TARGETS_DIR = targets_dir()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocatorSpec(_Strict):
    """How to find one element: by role+name, label, test id, text, or (last resort) CSS."""

    role: str | None = None
    name: str | None = None
    label: str | None = None
    test_id: str | None = None
    text: str | None = None
    css: str | None = None
    exact: bool = True
    attribute: str | None = Field(
        default=None, description="read this attribute of the element instead of its text")
    pattern: str | None = Field(
        default=None, description="a regex over what is read; its first group is the value")

    @model_validator(mode="after")
    def _pattern_has_a_group(self) -> LocatorSpec:
        if self.pattern is not None:
            try:
                groups = re.compile(self.pattern).groups
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression ({exc})") from None
            if groups < 1:
                raise ValueError("pattern needs a group around the value, e.g. 'Signed in as (.+)'")
        return self

    @model_validator(mode="after")
    def _one_strategy(self) -> LocatorSpec:
        strategies = [self.role, self.label, self.test_id, self.text, self.css]
        if sum(value is not None for value in strategies) != 1:
            raise ValueError("give exactly one of role (with optional name), label, test_id, text, css")
        return self


class Paths(_Strict):
    signup: str = "/signup"
    login: str = "/login"
    account: str = "/account"
    reset_request: str = "/reset"
    mfa_setup: str = "/account/mfa"
    sms_setup: str | None = Field(default=None, description="where a user turns on text codes "
                                  "as their second factor ([sms] mfa)")
    password_change: str | None = Field(default=None, description="unset: no password-change checks")
    recovery_codes: str | None = Field(
        default=None, description="a separate screen that shows or generates recovery codes")
    admin: str | None = "/admin"


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


class HttpOperation(_Strict):
    """An HTTP call template; `{email}`, `{password}`, `{role}` are filled in."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    json_body: dict[str, object] | None = Field(default=None, alias="json")
    ok_status: list[int] = Field(default_factory=lambda: [200, 201, 204])


class AdminApi(_Strict):
    token_header: str = "Authorization"
    token_prefix: str = "Bearer "
    create_user: HttpOperation
    delete_user: HttpOperation
    set_role: HttpOperation
    list_users: HttpOperation | None = Field(
        default=None, description="lets each run remove what killed runs left (by address)")
    list_emails: str = Field(default="users[].email",
                             description="JMESPath from list_users' JSON answer to the emails")

    @model_validator(mode="after")
    def _query_compiles(self) -> AdminApi:
        problem = jmespath_problem(self.list_emails, "admin_api.list_emails")
        if problem:
            raise ValueError(problem)
        return self


Channel = Literal["admin_api", "admin_screen", "command", "signup"]
CHANNELS: tuple[Channel, ...] = ("admin_api", "admin_screen", "command", "signup")
Operation = Literal["create", "set_role", "deactivate", "delete"]
OPERATIONS: tuple[Operation, ...] = ("create", "set_role", "deactivate", "delete")
SECTIONS: dict[Channel, str] = {
    "admin_api": "[admin_api]", "admin_screen": "the operation under [admin_screen]",
    "command": "the operation under [commands]", "signup": "[self_service] delete_account",
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholders_known(text: str, known: set[str], where: str) -> None:
    unknown = set(PLACEHOLDER.findall(text)) - known
    if unknown:
        raise ValueError(f"{where} uses unknown placeholder(s) {sorted(unknown)}; "
                         f"known: {sorted(known)}")


STEP_ACTIONS = ("goto", "fill", "select", "check", "uncheck", "click", "expect")


class ScreenStep(_Strict):
    """One user action of a screen recipe; `{email}`, `{role}`, `{password}` are filled in."""

    goto: str | None = None
    fill: LocatorSpec | None = None
    select: LocatorSpec | None = None
    check: LocatorSpec | None = None
    uncheck: LocatorSpec | None = None
    click: LocatorSpec | None = None
    expect: LocatorSpec | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> ScreenStep:
        actions = [name for name in STEP_ACTIONS if getattr(self, name) is not None]
        if len(actions) != 1:
            raise ValueError(f"each step gives exactly one of {', '.join(STEP_ACTIONS)}")
        if (actions[0] in ("fill", "select")) != (self.value is not None):
            raise ValueError("`value` goes with fill and select steps only, and they need one")
        return self

    @property
    def action(self) -> str:
        return next(name for name in STEP_ACTIONS if getattr(self, name) is not None)


class ScreenRecipe(_Strict):
    """What a person does on the app's own screens to perform one operation."""

    steps: list[ScreenStep] = Field(min_length=1)
    present: LocatorSpec | None = Field(
        default=None,
        description="after the leading goto steps: absent means the user does not exist (done)",
    )


class AdminScreen(_Strict):
    """An admin screen driven like a person would, signed in as E2E_ADMIN_EMAIL."""

    create_user: ScreenRecipe | None = None
    set_role: ScreenRecipe | None = None
    deactivate_user: ScreenRecipe | None = None
    delete_user: ScreenRecipe | None = None


class SelfService(_Strict):
    """What users do for themselves, signed in (the sign-up channel deletes with it)."""

    delete_account: ScreenRecipe | None = None


class CommandOperation(_Strict):
    """An argv template (never a shell string); the password reaches it by environment only."""

    argv: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    ok_exit: list[int] = Field(default_factory=lambda: [0])

    @model_validator(mode="after")
    def _password_never_in_argv(self) -> CommandOperation:
        for item in self.argv:
            if "{password}" in item:
                raise ValueError("{password} may not appear in argv (other processes can read "
                                 "argv); pass it in `env` instead")
            _placeholders_known(item, {"email", "role", "python"}, "argv")
        for value in self.env.values():
            _placeholders_known(value, {"email", "role", "password"}, "env")
        return self


class Commands(_Strict):
    """Provisioning by command (`manage.py`, `rails runner`, `kubectl exec`, a database client)."""

    cwd: str | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)
    create_user: CommandOperation | None = None
    set_role: CommandOperation | None = None
    deactivate_user: CommandOperation | None = None
    delete_user: CommandOperation | None = None


class Provision(_Strict):
    """Channels per operation, in the order to try them; unset → every configured channel."""

    create: list[Channel] | None = None
    set_role: list[Channel] | None = None
    deactivate: list[Channel] | None = None
    delete: list[Channel] | None = None


class Hooks(_Strict):
    """Test-only endpoints of the target (present only in its test mode, token-locked)."""

    token_header: str = "X-Test-Hook-Token"
    backdate_sessions: HttpOperation | None = None
    backdate_tokens: HttpOperation | None = None
    rotate_keys: HttpOperation | None = Field(
        default=None, description="a new signing key; older keys accepted for {grace_seconds}")
    retire_keys: HttpOperation | None = Field(
        default=None, description="end every retired signing key's grace window now")
    networks: list[str] | None = Field(
        default=None, description="the only networks the hooks answer, even with the token")

    _valid = field_validator("networks")(_networks)

    def all(self) -> dict[str, HttpOperation]:
        return {name: op for name, op in self._named().items() if op is not None}

    def harmless(self) -> dict[str, HttpOperation]:
        """The hooks a call for an address nobody has leaves without effect (token checks):
        a key rotation or retirement changes the target for every user, so never those."""
        return {name: op for name, op in self.all().items() if name.startswith("backdate_")}

    def _named(self) -> dict[str, HttpOperation | None]:
        return {"backdate_sessions": self.backdate_sessions, "backdate_tokens": self.backdate_tokens,
                "rotate_keys": self.rotate_keys, "retire_keys": self.retire_keys}


class Launch(_Strict):
    """How the run starts a built-in target itself when E2E_BASE_URL is unset."""

    module: str = Field(
        pattern=r"^[A-Za-z_][\w.]*$",
        description="`python -m MODULE --test-mode --port 0 ...` printing the ready line of docs/sandbox.md",
    )
    args: list[str] = Field(default_factory=list,
                            description="more arguments for it, e.g. a variant to start")


class TargetProfile(_Strict):
    name: str
    description: str = ""
    launch: Launch | None = None
    paths: Paths = Paths()
    session_probe: SessionProbe = SessionProbe()
    mail: MailPatterns = MailPatterns()
    policy: Policy = Policy()
    roles: Roles = Roles()
    budgets: Budgets = Budgets()
    network: Network = Network()
    sms: SmsChannel | None = None
    admin_api: AdminApi | None = None
    admin_screen: AdminScreen | None = None
    commands: Commands | None = None
    self_service: SelfService = SelfService()
    provision: Provision = Provision()
    hooks: Hooks = Hooks()
    locators: dict[str, dict[str, LocatorSpec]] = Field(
        default_factory=dict, description="screen → element → locator override"
    )
    unsupported: dict[str, str] = Field(
        default_factory=dict, description="check name → why this target cannot support it"
    )
    accepted_risks: dict[str, str] = Field(
        default_factory=dict, description="check name → why a known failure is accepted"
    )

    def authorising_endpoints(self) -> list[tuple[str, str]]:
        """(path, a role allowed to read it) of each endpoint that says who the user is and what
        they may do: the session endpoint, its roles endpoint, every role-protected API."""
        probe = self.session_probe
        found = [(probe.url, self.roles.default)]
        if probe.roles_url:
            found.append((probe.roles_url, self.roles.default))
        return found + [(res.path, res.allowed[0]) for res in self.roles.resources if res.kind == "api"]

    def locator(self, screen: str, element: str) -> LocatorSpec | None:
        return self.locators.get(screen, {}).get(element)

    def offers(self, channel: Channel, operation: Operation) -> bool:
        """Whether this profile describes `operation` through `channel`."""
        op_field = {"create": "create_user", "set_role": "set_role",
                    "deactivate": "deactivate_user", "delete": "delete_user"}[operation]
        if channel == "admin_api":
            return self.admin_api is not None and operation != "deactivate"
        if channel == "admin_screen":
            return self.admin_screen is not None and getattr(self.admin_screen, op_field) is not None
        if channel == "command":
            return self.commands is not None and getattr(self.commands, op_field) is not None
        # sign-up: create through the app's own sign-up and activation; delete by the user
        return (operation == "create"
                or (operation == "delete" and self.self_service.delete_account is not None))

    def channels(self, operation: Operation) -> list[Channel]:
        """The channels to try for an operation, in the profile's order of preference."""
        stated = getattr(self.provision, operation)
        return [c for c in (CHANNELS if stated is None else stated) if self.offers(c, operation)]

    @model_validator(mode="after")
    def _stated_channels_exist(self) -> TargetProfile:
        for operation in OPERATIONS:
            for channel in getattr(self.provision, operation) or []:
                if not self.offers(channel, operation):
                    raise ValueError(
                        f"provision.{operation} names {channel!r}, but the profile does not "
                        f"describe {operation} through it (add {SECTIONS[channel]})")
        return self


def resolve_profile_path(target: str) -> Path:
    """`sandbox` → targets/sandbox.toml; anything with a slash or .toml is a path."""
    if target.endswith(".toml") or "/" in target:
        return Path(target).expanduser()
    return TARGETS_DIR / f"{target}.toml"


def _merged(base: dict[str, object], over: dict[str, object]) -> dict[str, object]:
    """`over` on top of `base`: tables merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(below, dict) and isinstance(value, dict):
            merged[key] = _merged(below, value)
        else:
            merged[key] = value
    return merged


def _profile_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, object]:
    """The TOML of a profile, on top of the one its `extends` names (a name or a path
    relative to it), recursively."""
    if not path.is_file():
        known = sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ConfigError(
            f"No target profile at {path}{where}; set E2E_TARGET to one of {known} or to a .toml path."
        )
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Target profile {path} is not valid TOML ({exc}); fix the file.") from None
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"Target profile {path}: extends must be a profile name or a path.")
    base_path = resolve_profile_path(base)
    if "/" in base or base.endswith(".toml"):
        base_path = (path.parent / base).resolve()
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ConfigError(f"Target profile {path}: extends {base} goes round in a circle.")
    return _merged(_profile_data(base_path, (*seen, path.resolve())), data)


def load_profile(target: str) -> TargetProfile:
    path = resolve_profile_path(target)
    data = _profile_data(path)
    try:
        return TargetProfile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"Target profile {path}: {where}: {first['msg']} "
            f"({exc.error_count()} problem(s)); fix the profile."
        ) from None
