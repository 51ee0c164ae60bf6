"""Where things are on screen: locators, paths, and the recipes that drive an admin screen."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from authprobe.profile._strict import _Strict


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
