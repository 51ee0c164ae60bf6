"""Forms as apps build them: the further fields a sign-up form requires, with their values.

A value is literal or a template over the new user's address. Templates are filled from the
address alone, so whoever signs a user up (the sign-up page, a check that signs up itself)
and whoever later needs the values (the UI identity, a recipe) compute the same ones; the
address is unique per user, so `{unique}` and `{tag}` are too.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import Field, field_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.screens import PLACEHOLDER, LocatorSpec

# What a sign-up field's value may use, and what each stands for.
FIELD_PLACEHOLDERS: dict[str, str] = {
    "unique": "10 letters and digits derived from the address, unique per user",
    "tag": "the address's plus-tag without its punctuation (e.g. signup3f2a9cr1234)",
    "local": "the address before the @",
    "email": "the whole address",
}


class SignupField(_Strict):
    """One further field of the sign-up form, and what is entered in it."""

    locator: LocatorSpec = Field(description="how to find the field (label, role+name, test id…)")
    value: str = Field(description="what is entered: literal, or with placeholders "
                       f"{', '.join('{' + k + '}' for k in FIELD_PLACEHOLDERS)} for values that must be "
                       "unique per user (a user name)", examples=["ap{unique}", "Test"])
    action: Literal["fill", "select", "check"] = Field(
        default="fill", description="fill a text field, select an option by value or label, or "
        "tick a checkbox (its value is then ignored)")

    @field_validator("value")
    @classmethod
    def _placeholders_known(cls, value: str) -> str:
        unknown = sorted(set(PLACEHOLDER.findall(value)) - FIELD_PLACEHOLDERS.keys())
        if unknown:
            raise ValueError(f"the value uses unknown placeholder(s) {unknown}; known: "
                             f"{sorted(FIELD_PLACEHOLDERS)}")
        return value


class SignupForm(_Strict):
    """What the sign-up form asks beyond the email and password."""

    fields: dict[str, SignupField] = Field(
        default_factory=dict, description="field name → its locator and value, filled by every "
        "sign-up (the sign-up checks and the sign-up channel) in the order written; the values "
        "are kept on each throwaway user as its fields")

    def values_for(self, email: str) -> dict[str, str]:
        """Each field's value for the user with this address (the same on every call)."""
        local = email.rsplit("@", 1)[0]
        tag = re.sub(r"[^A-Za-z0-9]", "", local.split("+", 1)[1]) if "+" in local else ""
        known = {"unique": hashlib.sha256(email.lower().encode()).hexdigest()[:10],
                 "tag": tag, "local": local, "email": email}
        return {name: PLACEHOLDER.sub(lambda m: known[m.group(1)], spec.value)
                for name, spec in self.fields.items()}
