"""What the app has and how its UI shows who is signed in: `[features]` and `[identity]`.

A feature the app lacks is declared once, in `[features]`, not as one `[unsupported]` line
per check: every check that needs it skips naming the key, and `doctor` and `profile check`
stop probing its screen. A `[paths]` key cannot say it, since TOML has no null and a path
left out still has its default (`/reset`, `/account/mfa`, `/admin`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.screens import Paths

Feature = Literal["reset_by_mail", "mfa", "admin_screen"]


class Features(_Strict):
    """What the app has; false: the checks that need it skip with this key as their reason."""

    reset_by_mail: bool = Field(default=True, description="'forgot password?' with a mailed link; "
                                "false: the reset checks skip, doctor and profile check leave "
                                "paths.reset_request alone, no [mail] reset settings are needed")
    mfa: bool = Field(default=True, description="TOTP as a second factor; false: the MFA checks "
                      "(and every check that enrols TOTP) skip, paths.mfa_setup is not probed")
    admin_screen: bool = Field(default=True, description="an admin screen at paths.admin; false: "
                               "the admin-screen checks skip and paths.admin is not probed")


# Screens that exist only with a feature: doctor and profile check leave them alone without it.
SCREEN_FEATURE: dict[str, Feature] = {
    "reset_request": "reset_by_mail",
    "mfa_setup": "mfa",
    "recovery_codes": "mfa",
    "admin": "admin_screen",
}

# The concern markers whose checks all need a feature (the `needs` marker names the others).
MARKER_FEATURE: dict[str, Feature] = {"reset": "reset_by_mail", "mfa": "mfa"}
# Fixtures that use a feature: a check asking for one needs it.
FIXTURE_FEATURE: dict[str, Feature] = {"authprobe_mfa_user": "mfa"}
FEATURES: tuple[Feature, ...] = ("reset_by_mail", "mfa", "admin_screen")


def features_needed(markers: Iterable[tuple[str, tuple[object, ...]]],
                    fixtures: Iterable[str]) -> list[str]:
    """What a check needs, from its markers (`needs("admin_screen")` or a screen element
    `needs("password_change.current_password_field")`, or a concern such as `reset`) and the
    fixtures it asks for: one rule for every check, not a line in each."""
    found: list[str] = []
    for name, args in markers:
        if name == "needs":
            for arg in args:
                if not isinstance(arg, str) or (arg not in FEATURES and arg.count(".") != 1):
                    raise ValueError(f"needs({arg!r}) names no feature ({', '.join(FEATURES)}) "
                                     "and no SCREEN.ELEMENT")
                found.append(arg)
        elif name in MARKER_FEATURE:
            found.append(MARKER_FEATURE[name])
    found.extend(FIXTURE_FEATURE[name] for name in fixtures if name in FIXTURE_FEATURE)
    return list(dict.fromkeys(found))


class Identity(_Strict):
    """How the UI shows who is signed in: what the oracle compares with the backend's user."""

    shown_as: str = Field(default="{email}", examples=["{first_name} {last_name}", "{user_name}"],
                          description="a template over the user's fields ({email}, {email_user}: "
                          "the part before @, and any sign-up field the run filled): the oracle "
                          "compares the UI's identity with it rendered for the backend's user")
    absent_on: list[str] = Field(
        default_factory=list, examples=[["account", "password_change"]],
        description="[paths] keys of screens that show no identity: there the oracle compares "
        "signed in or out and pending steps only (signed in = the shell's sign_out_button shows), "
        "and the journey says the backend's identity is trusted")

    @field_validator("shown_as")
    @classmethod
    def _fields_named(cls, template: str) -> str:
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as exc:
            raise ValueError(f"identity.shown_as is not a template ({exc})") from None
        if not names or not all(re.fullmatch(r"[A-Za-z_]\w*", name) for name in names):
            raise ValueError("identity.shown_as names the user's fields in braces, e.g. "
                             "'{first_name} {last_name}' or '{email}'")
        return template

    @field_validator("absent_on")
    @classmethod
    def _screens_known(cls, screens: list[str]) -> list[str]:
        unknown = sorted(set(screens) - Paths.model_fields.keys())
        if unknown:
            raise ValueError(f"identity.absent_on names {', '.join(unknown)}, not [paths] keys; "
                             f"known: {', '.join(Paths.model_fields)}")
        return screens


def missing_feature(features: Features, mfa_policy: str, feature: Feature) -> str | None:
    """The profile line that says the app lacks `feature`, or None when it has it."""
    if feature == "mfa" and mfa_policy == "off":
        return "policy.mfa = 'off'"
    return None if getattr(features, feature) else f"features.{feature} = false"
