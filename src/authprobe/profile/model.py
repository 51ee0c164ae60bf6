"""The whole profile: one TOML file (with `extends`) read into one frozen model."""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, Field, field_validator, model_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.features import Feature, Features, Identity, missing_feature
from authprobe.profile.forms import SignupForm
from authprobe.profile.lockout import Lockout
from authprobe.profile.operations import (
    CHANNELS,
    OPERATIONS,
    SECTIONS,
    AdminApi,
    Channel,
    Commands,
    Hooks,
    Launch,
    Operation,
    Provision,
)
from authprobe.profile.passkeys import Passkeys
from authprobe.profile.screens import AdminScreen, LocatorSpec, Paths, SelfService
from authprobe.profile.session import Budgets, MailPatterns, Network, Policy, Roles, SessionProbe, SmsChannel
from authprobe.profile.sso import Sso


class TargetProfile(_Strict):
    """One target app: everything app-specific the suite needs (docs/onboarding.md, or
    `authprobe docs`, lists every key; the reference is generated from these fields)."""

    name: str = Field(description="the profile's name, shown in reports")
    description: str = Field(default="", description="one line on what this target is")
    launch: Launch | None = Field(default=None, description="how a built-in target is started when "
                                  "E2E_BASE_URL is unset; your staging app has none")
    paths: Paths = Field(default=Paths(), description="where the screens are, relative to E2E_BASE_URL")
    session_probe: SessionProbe = Field(default=SessionProbe(), description="the JSON endpoint that "
                                        "says who is signed in: every check's backend side")
    mail: MailPatterns = Field(default=MailPatterns(), description="how activation and reset mails "
                               "are recognised and their links found")
    policy: Policy = Field(default=Policy(), description="what the app promises; the checks judge "
                           "the app against these")
    roles: Roles = Field(default=Roles(), description="the roles and which pages and endpoints each may use")
    budgets: Budgets = Field(default=Budgets(), description="how long each kind of step may take")
    network: Network = Field(default=Network(), description="where users may come from (network checks)")
    sms: SmsChannel | None = Field(default=None, description="what the app does by text message; "
                                   "unset: the text-message checks skip")
    sso: Sso | None = Field(default=None, description="sign-in through an OpenID Connect identity "
                            "provider ('Sign in with …'); unset: the sso checks skip")
    passkeys: Passkeys | None = Field(default=None, description="passkeys (WebAuthn): registered on "
                                      "the account screens, used to sign in; unset: the passkey checks skip")
    lockout: Lockout | None = Field(default=None, description="what the app promises about wrong "
                                    "passwords and codes; unset: the lockout checks skip")
    admin_api: AdminApi | None = Field(default=None, description="an admin HTTP API (E2E_ADMIN_TOKEN) "
                                       "that makes, re-roles and removes throwaway users")
    admin_screen: AdminScreen | None = Field(default=None, description="recipes for the app's admin "
                                             "screen, signed in as E2E_ADMIN_EMAIL")
    commands: Commands | None = Field(default=None, description="commands that make, re-role, "
                                      "deactivate and remove users")
    self_service: SelfService = Field(default=SelfService(), description="what users do for themselves")
    signup: SignupForm = Field(default=SignupForm(), description="what the sign-up form asks "
                               "beyond the email and password")
    provision: Provision = Field(default=Provision(), description="which channel each user operation "
                                 "goes through, in order")
    hooks: Hooks = Field(default=Hooks(), description="test-only endpoints of the target (E2E_HOOK_TOKEN)")
    features: Features = Field(default=Features(), description="what the app has: a feature set "
                               "false makes the checks that need it skip, naming the key")
    identity: Identity = Field(default=Identity(), description="how the UI shows who is signed in, "
                               "and the screens that show nobody")
    locators: dict[str, dict[str, LocatorSpec]] = Field(
        default_factory=dict, description="screen → element → locator, where your wording differs "
        "from the defaults (the screens and elements are listed below); false: the screen has no "
        "such element (a password change without the current password)"
    )
    unsupported: dict[str, str] = Field(
        default_factory=dict, description="check name → why this target cannot support it (skipped "
        "with that reason)"
    )
    accepted_risks: dict[str, str] = Field(
        default_factory=dict, description="check name → why a known failure is accepted (strict xfail)"
    )

    def authorising_endpoints(self) -> list[tuple[str, str]]:
        """(path, a role allowed to read it) of each endpoint that says who the user is and what
        they may do: the session endpoint, its roles endpoint, every role-protected API."""
        probe = self.session_probe
        found = [(probe.url, self.roles.default)]
        if probe.roles_url:
            found.append((probe.roles_url, self.roles.default))
        return found + [(res.path, res.allowed[0]) for res in self.roles.resources if res.kind == "api"]

    def missing(self, feature: Feature) -> str | None:
        """The profile line that says the app lacks `feature` (a skip's reason), or None."""
        return missing_feature(self.features, self.policy.mfa, feature)

    def locator(self, screen: str, element: str) -> LocatorSpec | None:
        found = self.locators.get(screen, {}).get(element)
        return None if found is None or found.absent else found

    def lacks(self, screen: str, element: str) -> bool:
        """Whether `[locators.SCREEN]` declares the element absent (`ELEMENT = false`)."""
        found = self.locators.get(screen, {}).get(element)
        return found is not None and found.absent

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

    @field_validator("session_probe")
    @classmethod
    def _server_errors_never_mean_signed_out(cls, probe: SessionProbe) -> SessionProbe:
        """A 5xx listed as 'signed out' would turn the backend crashing into a passing check."""
        errors = [status for status in probe.signed_out_status if status >= 500]
        if errors:
            raise ValueError(
                f"session_probe.signed_out_status lists {errors[0]}, a server error: a 5xx means "
                "the backend failed, never that nobody is signed in; remove it")
        return probe

    @model_validator(mode="after")
    def _sso_has_its_button(self) -> TargetProfile:
        if self.sso is not None and self.locator("login", "sso_button") is None:
            raise ValueError("[sso] needs the app's 'Sign in with …' button: set [locators.login] "
                             "sso_button, e.g. { role = \"link\", name = \"Sign in with Okta\" }")
        return self

    @model_validator(mode="after")
    def _passkeys_have_their_screen(self) -> TargetProfile:
        if self.passkeys is not None and self.passkeys.register_path is None and self.paths.passkeys is None:
            raise ValueError("[passkeys] needs the screen where users add and remove passkeys: set "
                             "[paths] passkeys (or passkeys.register), e.g. \"/account/passkeys\"")
        return self

    @model_validator(mode="after")
    def _stated_channels_exist(self) -> TargetProfile:
        for operation in OPERATIONS:
            for channel in getattr(self.provision, operation) or []:
                if not self.offers(channel, operation):
                    raise ValueError(
                        f"provision.{operation} names {channel!r}, but the profile does not "
                        f"describe {operation} through it (add {SECTIONS[channel]})")
        return self


def _options(annotation: Any) -> tuple[Any, ...]:
    """The members of `X | None` (and any union), or the annotation alone."""
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)


def _inside(annotation: Any, part: str | int) -> Any:
    """The annotation of what `part` names inside a table of type `annotation`, or None."""
    for option in _options(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            fields = {info.alias or name: info for name, info in option.model_fields.items()}
            if part in fields:
                return fields[part].annotation
        elif get_origin(option) is dict:
            return get_args(option)[1]
        elif get_origin(option) is list and isinstance(part, int):
            return get_args(option)[0]
    return None


def keys_at(where: Sequence[str | int]) -> list[str]:
    """The keys a profile may write in the table at `where` (() is the top level): what a typo
    is matched against for its "did you mean"."""
    annotation: Any = TargetProfile
    for part in where:
        annotation = _inside(annotation, part)
    return [info.alias or name
            for option in _options(annotation)
            if isinstance(option, type) and issubclass(option, BaseModel)
            for name, info in option.model_fields.items()]
