"""Limits on guessing ([lockout]): wrong passwords and wrong second-factor codes lock the
account within the stated count, for every browser, alike for an address with no account,
the UI and the backend agree on it, and a password reset lets the user back in when the
profile says so.

Each loop guesses exactly one more time than the profile allows (never more than
`authprobe.profile.lockout.MAX_GUESSES`), only against the run's own target, each wrong
password from a fresh browser context: a lockout counted per cookie is no lockout.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import SignIn, sign_in, submit_mfa_code, submit_password
from authprobe.oob.mail import MailSource
from authprobe.oracle.session import Expected
from authprobe.profile import Guesses, TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.testing import MakeJourney, MakeMfaUser

pytestmark = pytest.mark.lockout


def _limit(profile: TargetProfile, kind: str) -> Guesses:
    lockout = profile.lockout
    limit: Guesses | None = getattr(lockout, kind) if lockout is not None else None
    if limit is None:
        pytest.skip(f"target {profile.name} states no [lockout] {kind} in its profile")
    return limit


def _wrong(password: SecretStr) -> SecretStr:
    return SecretStr(password.get_secret_value() + "-wrong")


def _lock(new_context: Callable[..., BrowserContext], profile: TargetProfile, email: str,
          password: SecretStr, attempts: int) -> None:
    """`attempts` wrong passwords for `email`, each from a browser of its own."""
    for number in range(1, attempts + 1):
        guess = new_context().new_page()
        tried = sign_in(guess, profile, email, _wrong(password), expect_throttle=True)
        guess.context.close()
        assert tried.outcome == "refused", (
            f"wrong password {number} of {attempts} for {email} ended in '{tried.outcome}'")


def _locked_answer(page: Page, profile: TargetProfile, email: str, password: SecretStr,
                   journey: MakeJourney, what: str) -> SignIn:
    trip = journey(page, what)
    with trip.step(f"sign in as {email} once the limit is spent", Expected(authenticated=False)):
        answer = sign_in(page, profile, email, password, expect_throttle=True)
    return answer


def _says_locked(profile: TargetProfile, answer: SignIn) -> bool:
    wording = profile.lockout.message if profile.lockout is not None else None
    return bool(answer.message) and (wording is None or wording.lower() in (answer.message or "").lower())


@pytest.mark.severity1
def test_wrong_passwords_lock_the_account_for_every_browser_but_no_other_account(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    user, other = authprobe_users.create(tag="locked"), authprobe_users.create(tag="not-locked")
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    answer = _locked_answer(page, authprobe_profile, user.email, user.password, authprobe_journey,
                            "the right password after the limit")
    assert answer.outcome != "signed_in", (
        f"no lockout: after {limit.attempts} wrong passwords (each from a new browser) the right "
        "one still signed in")
    assert _says_locked(authprobe_profile, answer), (
        f"the locked account's sign-in was refused without the lockout wording: {answer.message!r}")
    trip = authprobe_journey(page, "another account from the same browser")
    with trip.step(f"sign in as {other.email}", Expected(authenticated=True, email=other.email)):
        assert sign_in(page, authprobe_profile, other.email, other.password).outcome == "signed_in", (
            "the lockout of one account spread to another account on the same browser")


@pytest.mark.severity2
def test_the_lockout_answer_is_the_same_for_an_address_with_no_account(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    if not authprobe_profile.policy.enumeration_safe:
        pytest.skip(f"target {authprobe_profile.name} does not promise enumeration safety (policy)")
    user = authprobe_users.create(tag="locked-known")
    stranger, guess = authprobe_users.address("locked-unknown"), new_password()
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    _lock(new_context, authprobe_profile, stranger, guess, limit.attempts)
    known = _locked_answer(page, authprobe_profile, user.email, _wrong(user.password), authprobe_journey,
                           "a locked account")
    unknown = _locked_answer(page, authprobe_profile, stranger, _wrong(guess), authprobe_journey,
                             "an address with no account, guessed as often")
    assert known.message == unknown.message, (
        "account enumeration by lockout: after the same wrong guesses an existing account answers "
        f"{known.message!r} and an address with no account {unknown.message!r}")


@pytest.mark.severity1
@pytest.mark.needs("mfa")
def test_wrong_second_factor_codes_are_limited_and_then_the_right_one_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "second_factor")
    enrolled = authprobe_mfa_user(tag="code-guesses")
    email = enrolled.user.email
    trip = authprobe_journey(page, "guessing the second factor")
    with trip.step("password step", Expected(authenticated=False)):
        first = submit_password(page, authprobe_profile, email, enrolled.user.password)
    assert first.outcome == "mfa_required", f"setup: the password led to '{first.outcome}'"
    for number in range(1, limit.attempts + 1):
        with trip.step(f"wrong code {number} of {limit.attempts}", Expected(authenticated=False)):
            wrong = submit_mfa_code(page, authprobe_profile, email, f"{number:06d}"[-6:])
        assert wrong.outcome == "refused", f"wrong code {number} ended in '{wrong.outcome}'"
    with trip.step("the right code once the limit is spent", Expected(authenticated=False)):
        late = submit_mfa_code(page, authprobe_profile, email, enrolled.totp.next_code())
    assert late.outcome != "signed_in", (
        f"no limit on second-factor guesses: after {limit.attempts} wrong codes the right one signed in")


@pytest.mark.severity2
@pytest.mark.needs("reset_by_mail")
def test_a_password_reset_ends_the_lockout(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_inbox: MailSource, authprobe_settings: Settings,
    authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    assert authprobe_profile.lockout is not None
    if "reset" not in authprobe_profile.lockout.unlock:
        pytest.skip(f"target {authprobe_profile.name} does not unlock by reset ([lockout] unlock)")
    user = authprobe_users.create(tag="locked-reset")
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    request_reset(page, authprobe_profile, user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    fresh = new_password()
    assert use_reset_link(page, authprobe_profile, link, fresh).outcome == "changed"
    trip = authprobe_journey(page, "sign-in after the reset")
    with trip.step("sign in with the new password", Expected(authenticated=True, email=user.email)):
        after = sign_in(page, authprobe_profile, user.email, fresh, expect_throttle=True)
    assert after.outcome == "signed_in", (
        f"the account stayed locked after a password reset ('{after.outcome}': {after.message!r}), "
        "though [lockout] unlock names reset")
