"""Where things are on screen: locators, paths, and the recipes that drive an admin screen."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from authprobe.profile._strict import _Strict


class LocatorSpec(_Strict):
    """How to find one element: by role+name, label, test id, text, or (last resort) CSS."""

    role: str | None = Field(default=None, description="an ARIA role (button, link, heading, "
                             "textbox…): Playwright's get_by_role; the first choice")
    name: str | None = Field(default=None, description="the accessible name that goes with role")
    label: str | None = Field(default=None, description="a form field's label text (get_by_label)")
    test_id: str | None = Field(default=None, description="a data-testid attribute (get_by_test_id)")
    text: str | None = Field(default=None, description="text the element shows (get_by_text)")
    css: str | None = Field(default=None, description="a CSS selector: the last resort (themes change)")
    exact: bool = Field(default=True, description="name, label and text match whole and case-sensitive; "
                        "false: a case-insensitive substring (icons or asterisks in the name)")
    attribute: str | None = Field(
        default=None, description="read this attribute of the element instead of its text")
    pattern: str | None = Field(
        default=None, description="a regex over what is read; its first group is the value")
    steps: list[ScreenStep] | None = Field(
        default=None, description="what a person does first to reach the element when it is not "
        "visible (open a user menu: [{ click = { role = \"button\", name = \"Account\" } }]); "
        "played when a check acts on the element (clicks or fills it), never when it only looks "
        "whether it shows; a step may lead to another page (a 'sign out?' confirmation: the link, "
        "then the button)")

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

    absent: bool = Field(default=False, description="the screen has no such element (written "
                         "`ELEMENT = false` in [locators.SCREEN]): the checks that need it skip")

    @model_validator(mode="before")
    @classmethod
    def _false_is_absent(cls, data: Any) -> Any:
        """`current_password_field = false`: a screen without the element."""
        return {"absent": True} if data is False else data

    @model_validator(mode="after")
    def _one_strategy(self) -> LocatorSpec:
        strategies = [self.role, self.label, self.test_id, self.text, self.css]
        if self.absent and not any(value is not None for value in strategies):
            return self
        if sum(value is not None for value in strategies) != 1:
            raise ValueError("give exactly one of role (with optional name), label, test_id, text, css")
        return self


class Paths(_Strict):
    """Where the screens are, relative to E2E_BASE_URL (a screen whose key is unset is not checked)."""

    signup: str = Field(default="/signup", description="the sign-up form (sign-up checks, and "
                        "throwaway users by the sign-up channel)")
    login: str = Field(default="/login", description="the sign-in form (every check that signs in)")
    account: str = Field(default="/account", description="a page only a signed-in user sees, with "
                         "the account shell: where the UI's identity is read after each step")
    reset_request: str = Field(default="/reset", description="'forgot password?': the reset checks")
    mfa_setup: str = Field(default="/account/mfa", description="TOTP enrolment: the MFA checks")
    sms_setup: str | None = Field(default=None, examples=["/account/sms"], description="where a user "
                                  "turns on text codes as their second factor ([sms] mfa)")
    password_change: str | None = Field(default=None, examples=["/account/password"],
                                        description="unset: no password-change checks")
    recovery_codes: str | None = Field(
        default=None, examples=["/account/recovery-codes"],
        description="a separate screen that shows or generates recovery codes")
    passkeys: str | None = Field(default=None, examples=["/account/passkeys"], description="where a "
                                 "user lists, adds and removes passkeys ([passkeys])")
    admin: str | None = Field(default="/admin", description="the admin screen: role checks open it "
                              "as each role, and the admin-screen channel plays its recipes there")


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholders_known(text: str, known: set[str], where: str) -> None:
    unknown = set(PLACEHOLDER.findall(text)) - known
    if unknown:
        raise ValueError(f"{where} uses unknown placeholder(s) {sorted(unknown)}; "
                         f"known: {sorted(known)}")


STEP_ACTIONS = ("goto", "fill", "select", "check", "uncheck", "click", "expect")


class ScreenStep(_Strict):
    """One user action of a screen recipe; `{email}`, `{role}`, `{password}` are filled in."""

    goto: str | None = Field(default=None, description="open this path (placeholders filled in)")
    fill: LocatorSpec | None = Field(default=None, description="type `value` into this field")
    select: LocatorSpec | None = Field(default=None, description="choose `value` in this select")
    check: LocatorSpec | None = Field(default=None, description="tick this checkbox or radio button")
    uncheck: LocatorSpec | None = Field(default=None, description="clear this checkbox")
    click: LocatorSpec | None = Field(default=None, description="press this button or link")
    expect: LocatorSpec | None = Field(default=None, description="wait until this is visible "
                                       "(the proof a step worked)")
    value: str | None = Field(default=None, description="what fill or select enters")

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


LocatorSpec.model_rebuild()  # `steps` names ScreenStep, defined after it


class ScreenRecipe(_Strict):
    """What a person does on the app's own screens to perform one operation."""

    steps: list[ScreenStep] = Field(min_length=1, description="the actions, in order (each one of "
                                    "goto, fill, select, check, uncheck, click, expect)")
    present: LocatorSpec | None = Field(
        default=None,
        description="after the leading goto steps: absent means the user does not exist (done)",
    )


class AdminScreen(_Strict):
    """An admin screen driven like a person would, signed in as E2E_ADMIN_EMAIL."""

    create_user: ScreenRecipe | None = Field(default=None, description="makes a throwaway user "
                                             "({email}, {password}, {role})")
    set_role: ScreenRecipe | None = Field(default=None, description="gives {email} the role {role}; "
                                          "unset: a select 'Role for {email}' and 'Change role for {email}'")
    deactivate_user: ScreenRecipe | None = Field(default=None, description="deactivates {email} "
                                                 "(deactivation checks)")
    delete_user: ScreenRecipe | None = Field(default=None, description="removes {email} (clean-up)")


class SelfService(_Strict):
    """What users do for themselves, signed in (the sign-up channel deletes with it)."""

    delete_account: ScreenRecipe | None = Field(
        default=None, description="the signed-in user deletes their own account ({email}, "
        "{password}): lets the sign-up channel clean up")
