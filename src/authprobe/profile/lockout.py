"""`[lockout]`: what the app promises about guessing: after how many wrong passwords or wrong
second-factor codes an account is locked, for how long, and what lets its user back in; how
many reset mails one address gets, how many sign-ups one network address may make.

OWASP ASVS's authentication chapter asks for both limits; the lockout checks
(e2e/test_lockout.py) guess exactly one more time than the promise allows, so a loop never
exceeds `MAX_GUESSES` tries and only ever reaches the profile's own target.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.session import _networks

MAX_GUESSES = 50  # a guessing check never tries more than this, whatever a profile states
Unlock = Literal["time", "reset", "admin"]


def _by_time() -> list[Unlock]:
    return ["time"]


class Guesses(_Strict):
    """A limit counted per account (wrong guesses, reset mails) whatever browser or address."""

    attempts: int = Field(gt=0, le=MAX_GUESSES, description="how many (as the key says) the app "
                          f"allows in the window (at most {MAX_GUESSES}: the checks try one more)")
    window_seconds: float = Field(default=300, gt=0, description="the window they are counted "
                                  "over, and how long the lock lasts")


class AddressLimit(Guesses):
    """A limit per client address: past it that address is refused, other addresses are not."""

    exempt: list[str] = Field(default_factory=list, description="networks the limit leaves alone "
                              "(the checks use a device outside them)")

    _valid = field_validator("exempt")(_networks)


class Lockout(_Strict):
    """The limits the app applies to guessing; each check runs only for what is stated."""

    password: Guesses | None = Field(default=None, examples=[{"attempts": 5, "window_seconds": 300}],
                                     description="wrong passwords that lock an account for every "
                                     "browser and address; unset: the password lockout checks skip")
    second_factor: Guesses | None = Field(
        default=None, examples=[{"attempts": 5}], description="wrong TOTP or texted codes after the "
        "right password before every code of the account is refused; unset: that check skips")
    unlock: list[Unlock] = Field(default_factory=_by_time, description="what lets a locked "
                                 "user back in: the window passing, a password reset by mail, an "
                                 "admin; with reset, the check proves a reset ends the lock")
    reset_requests: Guesses | None = Field(
        default=None, examples=[{"attempts": 3, "window_seconds": 900}], description="reset mails "
        "one address receives in the window; further requests send none (with the same answer "
        "when the policy is enumeration_safe); unset: that check skips")
    signup: AddressLimit | None = Field(
        default=None, examples=[{"attempts": 3, "window_seconds": 3600, "exempt": ["10.0.0.0/8"]}],
        description="sign-ups one client address may make in the window before it is refused "
        "(another address still signs up); unset: that check skips")
    success_ends_count: bool | None = Field(
        default=None, description="true: a right password ends the count of wrong ones (the "
        "owner's typos never add up to a lockout); false: they keep counting within the window; "
        "unset: not checked")
    message: str | None = Field(default=None, examples=["Too many attempts"], description="text the "
                                "locked answer shows (a substring); unset: any refusal with a message")
