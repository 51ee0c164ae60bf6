"""`[lockout]`: what the app promises about guessing: after how many wrong passwords or wrong
second-factor codes an account is locked, for how long, and what lets its user back in; how
many reset mails one address gets, how many sign-ups one network address may make.

OWASP ASVS's authentication chapter asks for both limits; the lockout checks
(e2e/test_lockout.py) guess exactly one more time than the promise allows, so a loop never
exceeds `MAX_GUESSES` tries and only ever reaches the profile's own target.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from authprobe.profile._strict import _Strict
from authprobe.profile.session import _networks

MAX_GUESSES = 50  # a guessing check never tries more than this, whatever a profile states
MAX_BACKOFF_WAIT_S = 120.0  # nor waits longer than this for a backoff to let the right code in
Unlock = Literal["time", "reset", "admin"]


def _by_time() -> list[Unlock]:
    return ["time"]


class Guesses(_Strict):
    """A limit counted per account (wrong guesses, reset mails) whatever browser or address."""

    attempts: int = Field(gt=0, le=MAX_GUESSES, description="how many (as the key says) the app "
                          f"allows in the window (at most {MAX_GUESSES}: the checks try one more)")
    window_seconds: float = Field(default=300, gt=0, description="the window they are counted "
                                  "over, and how long the lock lasts")


class CodeGuesses(Guesses):
    """Wrong second-factor codes: a lock after `attempts` (kind "lock"), or a delay after each
    wrong code that refuses every code and doubles with the next wrong one (kind "backoff", as
    django-otp's throttling): the check then paces its wrong codes by the delays, wants the right
    code refused at once after the last, and taken once that delay has passed."""

    kind: Literal["lock", "backoff"] = Field(default="lock", description="lock: `attempts` wrong "
                                             "codes lock the account for `window_seconds`; backoff: "
                                             "each wrong code delays the next try, doubling")
    first_delay_seconds: float | None = Field(
        default=None, gt=0, examples=[1], description="backoff: how long the first wrong code "
        "refuses every code (each further wrong code doubles it); unset for a lock")

    @model_validator(mode="after")
    def _delay_goes_with_backoff(self) -> Self:
        if self.kind == "lock":
            if self.first_delay_seconds is not None:
                raise ValueError('first_delay_seconds belongs to kind = "backoff"; a lock counts '
                                 "attempts over window_seconds")
            return self
        if self.first_delay_seconds is None:
            raise ValueError('kind = "backoff" needs first_delay_seconds: how long the first wrong '
                             "code refuses every code (doubled after each further one)")
        if "window_seconds" in self.model_fields_set:
            raise ValueError('window_seconds belongs to kind = "lock"; a backoff states '
                             "first_delay_seconds")
        if (waited := sum(self.pauses()) + self.refusal_seconds()) > MAX_BACKOFF_WAIT_S:
            raise ValueError(f"this backoff would keep the check waiting {waited:g} s (at most "
                             f"{MAX_BACKOFF_WAIT_S:g}); state fewer attempts")
        return self

    def pauses(self) -> list[float]:
        """How long to wait after each wrong code but the last, so the next one counts (a backoff
        refuses codes sent during its delay without counting them); none for a lock."""
        if self.first_delay_seconds is None:
            return []
        return [float(self.first_delay_seconds * 2 ** number) for number in range(self.attempts - 1)]

    def refusal_seconds(self) -> float:
        """How long every code is refused after the last wrong one."""
        if self.first_delay_seconds is None:
            return self.window_seconds
        return float(self.first_delay_seconds * 2 ** (self.attempts - 1))


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
    second_factor: CodeGuesses | None = Field(
        default=None, examples=[{"attempts": 5}, {"kind": "backoff", "attempts": 3,
                                                  "first_delay_seconds": 1}],
        description="wrong TOTP or texted codes after the right password before every code of the "
        "account is refused (a lock), or the delay each wrong code puts before the next try (a "
        "backoff); unset: that check skips")
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
