"""`[lockout]`: what the app promises about guessing: after how many wrong passwords or wrong
second-factor codes an account is locked, for how long, and what lets its user back in.

OWASP ASVS's authentication chapter asks for both limits; the lockout checks
(e2e/test_lockout.py) guess exactly one more time than the promise allows, so a loop never
exceeds `MAX_GUESSES` tries and only ever reaches the profile's own target.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from authprobe.profile._strict import _Strict

MAX_GUESSES = 50  # a guessing check never tries more than this, whatever a profile states
Unlock = Literal["time", "reset", "admin"]


def _by_time() -> list[Unlock]:
    return ["time"]


class Guesses(_Strict):
    """A limit on wrong guesses, counted per account whatever browser or address they come from."""

    attempts: int = Field(gt=0, le=MAX_GUESSES, description="wrong guesses for one account in the "
                          f"window before it is locked (at most {MAX_GUESSES}: the checks try one more)")
    window_seconds: float = Field(default=300, gt=0, description="the window those guesses are "
                                  "counted over, and how long the lock lasts")


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
    message: str | None = Field(default=None, examples=["Too many attempts"], description="text the "
                                "locked answer shows (a substring); unset: any refusal with a message")
