"""Target profiles: everything app-specific the suite needs, as data (TOML).

Onboarding a conventional app should need a profile and no Python: paths,
locator overrides, the session probe, mail patterns, policy, the role matrix,
admin operations and test hooks all live here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ConfigError

TARGETS_DIR = Path(__file__).resolve().parent.parent / "targets"


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
    admin: str | None = "/admin"


class SessionProbe(_Strict):
    """Where the backend says who is signed in, and JSON pointers into its answer."""

    url: str = "/api/session"
    authenticated: str = "/authenticated"
    email: str = "/user/email"
    roles: str = "/user/roles"
    mfa_pending: str | None = "/mfa_pending"
    cookie_name: str = "session"


class MailPatterns(_Strict):
    activation_subject: str = "Activate your account"
    activation_link: str = r"https?://\S+/activate\?token=[\w\-]+"
    reset_subject: str = "Reset your password"
    reset_link: str = r"https?://\S+/reset/confirm\?token=[\w\-]+"

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
    recovery_codes: int = 10
    reset_token_ttl_seconds: int = 900
    reset_ends_other_sessions: bool = True
    idle_ttl_seconds: int | None = None
    absolute_ttl_seconds: int | None = None
    concurrent_sessions: Literal["allowed", "single"] = "allowed"
    logout_scope: Literal["device", "all"] = "device"
    enumeration_safe: bool = True
    tokens_in_local_storage: bool = False


class Resource(_Strict):
    """One protected page or endpoint and the roles allowed to use it."""

    path: str
    kind: Literal["page", "api"]
    allowed: list[str]
    nav_link: str | None = Field(default=None, description="link name that offers it in the UI")


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


class Hooks(_Strict):
    """Test-only endpoints of the target (present only in its test mode, token-locked)."""

    token_header: str = "X-Test-Hook-Token"
    backdate_sessions: HttpOperation | None = None
    backdate_tokens: HttpOperation | None = None

    def all(self) -> dict[str, HttpOperation]:
        named = {"backdate_sessions": self.backdate_sessions, "backdate_tokens": self.backdate_tokens}
        return {name: op for name, op in named.items() if op is not None}


class Launch(_Strict):
    """How the run starts a built-in target itself when E2E_BASE_URL is unset."""

    module: str = Field(
        pattern=r"^[A-Za-z_][\w.]*$",
        description="`python -m MODULE --test-mode --port 0 ...` printing the ready line of docs/sandbox.md",
    )


class TargetProfile(_Strict):
    name: str
    description: str = ""
    launch: Launch | None = None
    paths: Paths = Paths()
    session_probe: SessionProbe = SessionProbe()
    mail: MailPatterns = MailPatterns()
    policy: Policy = Policy()
    roles: Roles = Roles()
    admin_api: AdminApi | None = None
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

    def locator(self, screen: str, element: str) -> LocatorSpec | None:
        return self.locators.get(screen, {}).get(element)


def resolve_profile_path(target: str) -> Path:
    """`sandbox` → targets/sandbox.toml; anything with a slash or .toml is a path."""
    if target.endswith(".toml") or "/" in target:
        return Path(target).expanduser()
    return TARGETS_DIR / f"{target}.toml"


def load_profile(target: str) -> TargetProfile:
    path = resolve_profile_path(target)
    if not path.is_file():
        known = sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))
        raise ConfigError(
            f"No target profile at {path}; set E2E_TARGET to one of {known} or to a .toml path."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Target profile {path} is not valid TOML ({exc}); fix the file.") from None
    try:
        return TargetProfile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"Target profile {path}: {where}: {first['msg']} "
            f"({exc.error_count()} problem(s)); fix the profile."
        ) from None
