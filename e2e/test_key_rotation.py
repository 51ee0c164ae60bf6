"""Signing-key rotation: what a session and a mailed link signed with the old key do after the
app's secret changes.

The target's `rotate_keys` hook makes a new key current and keeps the older ones for a grace
window it is given. Inside the profile's grace the sessions and links follow its policy
(`key_rotation_sessions`, `key_rotation_links`); once the old key is retired they must be dead
in the backend and in the UI alike, and no answer on the way may be a server error.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Response

from authprobe.flows.access import open_page
from authprobe.flows.account import activation_link, open_activation_link, sign_up
from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import sign_in
from authprobe.oob.mail import Inbox
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected
from authprobe.pages.account import AccountShell
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.target.hooks import TestHooks
from authprobe.testing import MakeJourney, RequireHook

pytestmark = [pytest.mark.sessions, pytest.mark.whole_target,
              pytest.mark.needs("reset_by_mail")]  # both checks hold a reset link across the rotation


class ServerErrors:
    """Every 5xx answer the watched pages got: a rotation must never surface as one."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("response", self._record)
        return page

    def _record(self, response: Response) -> None:
        if response.status >= 500:
            self.seen.append(f"{response.status} {response.request.method} {response.url}")

    def assert_none(self) -> None:
        assert not self.seen, "a key rotation surfaced as a server error: " + "; ".join(self.seen)


def _sign_in(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey, step: str) -> None:
    with trip.step(step, Expected(authenticated=True, email=user.email)):
        result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", f"{step}: {result.outcome} ({result.message})"


def _open_account(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey,
                  step: str, *, kept: bool) -> None:
    """The account page as the next request: still the user's, or a sign-in screen that no
    longer shows them. The journey step cross-checks the UI with the backend first."""
    expected = Expected(authenticated=True, email=user.email) if kept else Expected(authenticated=False)
    with trip.step(step, expected):
        visit = open_page(page, profile, profile.paths.account)
    if kept:
        assert not visit.shows_sign_in, f"{step}: the session ended: {visit.describe()}"
        return
    assert visit.shows_sign_in, f"{step}: the session signed with the retired key still opens " \
                                f"{profile.paths.account}: {visit.describe()}"
    shown = AccountShell(page, profile).visible_text()
    assert user.email.lower() not in shown.lower(), (
        f"{step}: the backend ended the session but the page still shows {user.email} at {page.url}")


def _reset_link_for(user: ThrowawayUser, mail_page: Page, profile: TargetProfile, inbox: Inbox,
                    settings: Settings) -> str:
    request_reset(mail_page, profile, user.email)
    return reset_link(inbox, profile, user.email, settings.mail_timeout)


def _assert_link_refused(mail_page: Page, profile: TargetProfile, link: str, why: str) -> None:
    attempt = use_reset_link(mail_page, profile, link, new_password())
    assert attempt.outcome == "invalid", f"{why}, yet the reset link ended in '{attempt.outcome}'"
    assert attempt.message, f"{why}: the reset link was refused without a message to the user"


@pytest.mark.severity1
def test_a_key_rotation_keeps_sessions_and_links_inside_the_grace_window(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_hooks: TestHooks, authprobe_require_hook: RequireHook,
    authprobe_journey: MakeJourney, new_context: Callable[..., BrowserContext],
) -> None:
    authprobe_require_hook("rotate_keys")
    policy = authprobe_profile.policy
    errors = ServerErrors()
    user = authprobe_users.create(tag="rotation-grace")
    trip = authprobe_journey(errors.watch(page), "key rotation inside the grace window")
    _sign_in(page, authprobe_profile, user, trip, "sign in")
    mail_page = errors.watch(new_context().new_page())
    # after the sign-in: an app may end a reset link at the user's next sign-in, which is not
    # the key's doing
    link = _reset_link_for(user, mail_page, authprobe_profile, authprobe_inbox, authprobe_settings)

    authprobe_hooks.rotate_keys(policy.key_rotation_grace_seconds)
    _open_account(page, authprobe_profile, user, trip, "open the account page after the rotation",
                  kept=policy.key_rotation_sessions == "kept")
    mail_trip = authprobe_journey(mail_page, "reset link issued before the rotation")
    if policy.key_rotation_links == "refused":
        _assert_link_refused(mail_page, authprobe_profile, link,
                             "the profile says links signed before a rotation are refused")
        password = user.password
    else:
        password = new_password()
        attempt = use_reset_link(mail_page, authprobe_profile, link, password)
        assert attempt.outcome == "changed", (
            f"a reset link signed before a rotation stopped working inside the "
            f"{policy.key_rotation_grace_seconds} s grace window: {attempt.outcome} ({attempt.message})")
    with mail_trip.step("sign in with the new key", Expected(authenticated=True, email=user.email)):
        signed_in = sign_in(mail_page, authprobe_profile, user.email, password)
    assert signed_in.outcome == "signed_in", (
        f"sign-in after the rotation failed: {signed_in.outcome} ({signed_in.message})")
    errors.assert_none()


@pytest.mark.severity1
def test_a_retired_key_opens_nothing_and_the_new_key_everything(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_hooks: TestHooks, authprobe_require_hook: RequireHook,
    authprobe_journey: MakeJourney, new_context: Callable[..., BrowserContext],
) -> None:
    """Signed before the rotation: dead once the old key retires. Signed inside the grace
    window: alive after it, since the new key signed it."""
    authprobe_require_hook("rotate_keys")
    authprobe_require_hook("retire_keys")
    errors = ServerErrors()
    user = authprobe_users.create(tag="rotation-retired")
    mailed = authprobe_users.create(tag="rotation-links")  # signs in only at the end: an app may end
    # a reset link at the user's next sign-in, which would hide the key's effect
    mail_page = errors.watch(new_context().new_page())
    old_link = _reset_link_for(mailed, mail_page, authprobe_profile, authprobe_inbox, authprobe_settings)
    unactivated = _unopened_activation(mail_page, authprobe_profile, authprobe_inbox, authprobe_users,
                                       authprobe_settings)
    trip = authprobe_journey(errors.watch(page), "signed before the rotation")
    _sign_in(page, authprobe_profile, user, trip, "sign in")

    authprobe_hooks.rotate_keys(authprobe_profile.policy.key_rotation_grace_seconds)
    later = errors.watch(new_context().new_page())
    later_trip = authprobe_journey(later, "signed inside the grace window")
    _sign_in(later, authprobe_profile, user, later_trip, "sign in inside the grace window")
    new_link = _reset_link_for(mailed, mail_page, authprobe_profile, authprobe_inbox, authprobe_settings)

    authprobe_hooks.retire_keys()  # the grace window ends now, as if it had run its course
    _open_account(page, authprobe_profile, user, trip, "open the account page once the old key is retired",
                  kept=False)
    _open_account(later, authprobe_profile, user, later_trip, "open the account page once the old key is "
                  "retired", kept=True)
    _assert_link_refused(mail_page, authprobe_profile, old_link,
                         "the reset link was signed with a retired key")
    if unactivated is not None:
        email, activation = unactivated
        opened = open_activation_link(mail_page, authprobe_profile, email, activation)
        assert not opened.activated, (
            f"an activation link signed with a retired key still activated {email}")
        assert opened.message, "the retired activation link was refused without a message"
    password = new_password()
    attempt = use_reset_link(mail_page, authprobe_profile, new_link, password)
    assert attempt.outcome == "changed", (
        "a reset link mailed inside the grace window died when the old key retired: it was "
        f"signed with the retiring key, not the new one ({attempt.outcome}: {attempt.message})")
    mail_trip = authprobe_journey(mail_page, "after the old key retired")
    with mail_trip.step("sign in with the password the new link set",
                        Expected(authenticated=True, email=mailed.email)):
        assert sign_in(mail_page, authprobe_profile, mailed.email, password).outcome == "signed_in"
    errors.assert_none()


def _unopened_activation(mail_page: Page, profile: TargetProfile, inbox: Inbox,
                         users: ThrowawayUsers, settings: Settings) -> tuple[str, str] | None:
    """A signed-up account's activation link, not opened yet; None where sign-up has none or
    where the run could not remove an account whose link no longer works."""
    if not profile.policy.email_verification_required or not users.can_remove_unactivated():
        return None
    password = new_password()
    email = users.address("rotation-activation", password)
    assert sign_up(mail_page, profile, email, password).accepted, f"setup: sign-up of {email} refused"
    return email, activation_link(inbox, profile, email, settings.mail_timeout)
