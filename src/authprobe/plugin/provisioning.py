"""Throwaway users for the suite: the run's channels, the pool, the journal, MFA users.

Part of the suite's plugin (imported by e2e/conftest.py); docs/onboarding.md describes the
channels a profile can offer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, BrowserContext

from authprobe.errors import AuthprobeError, FlowError
from authprobe.flows.mfa import TotpEnrollment, enroll_totp
from authprobe.flows.session import sign_in
from authprobe.oob.mail import Inbox
from authprobe.oob.otp import Totp
from authprobe.plugin.runtime import BASE_URL, JOURNAL, PW_CONFIG, SIGNUP, USER_LEDGER, say, stop_run
from authprobe.profile import TargetProfile
from authprobe.provisioning.channels import Provisioner, ProvisioningUnavailable, headless_channels
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.pool import AccountPool, parse_pool
from authprobe.provisioning.screen import ScreenChannel, SignupChannel
from authprobe.provisioning.sweep import RunJournal, recover, recover_by_listing
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, UserLedger
from authprobe.settings import Settings
from authprobe.target.app import Target, answers


@pytest.fixture(scope="session")
def provisioner(
    request: pytest.FixtureRequest, api: APIRequestContext, profile: TargetProfile, target: Target,
    settings: Settings, inbox: Inbox, browser: Browser, browser_context_args: dict[str, Any],
) -> Iterator[Provisioner]:
    """Every provisioning channel this run can use, from the profile and the settings."""

    def open_context() -> BrowserContext:
        # untraced on purpose: these contexts type the admin's and throwaway users' passwords
        context = browser.new_context(**browser_context_args)
        context.set_default_timeout(PW_CONFIG.ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(PW_CONFIG.NAVIGATION_TIMEOUT_MS)
        return context

    runner = (CommandRunner(profile.commands, target.command_env, Path.cwd())
              if profile.commands else None)
    channels, missing = headless_channels(profile, api, target.admin_token, runner,
                                          settings.http_timeout)
    screen: ScreenChannel | None = None
    if profile.admin_screen is not None:
        if target.admin_email is None or target.admin_password is None:
            missing["admin_screen"] = "E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD are not set"
        else:
            admin_totp = (Totp(settings.admin_totp_secret, period=profile.policy.totp_period,
                               digits=profile.policy.totp_digits,
                               skew_steps=profile.policy.totp_skew_steps)
                          if settings.admin_totp_secret else None)
            screen = ScreenChannel(open_context, profile, target.admin_email, target.admin_password,
                                   admin_totp)
            channels.append(screen)
    signup = SignupChannel(open_context, profile, inbox, settings.mail_timeout)
    channels.append(signup)
    request.config.stash[USER_LEDGER] = UserLedger()
    request.config.stash[SIGNUP] = signup
    provisioner = Provisioner(profile, channels, missing, only=list(settings.provision) or None)
    journal = None
    if target.process is None:  # a built-in target's users go with its database
        state = Path(settings.state_dir)
        removed, still = recover(state, target.base_url, provisioner, lambda line: None)
        more, left = recover_by_listing(provisioner, target.mail_address,
                                        settings.sweep_grace_hours * 3600, lambda line: None)
        removed, still = removed + more, still + left
        if removed or still:
            say(request.config, f"authprobe: removed {removed} user(s) that earlier runs left on "
                 f"the target" + (f"; {still} could not be (`authprobe sweep --list`)" if still else ""))
        journal = RunJournal(state, profile.name, target.base_url)
    request.config.stash[JOURNAL] = journal
    yield provisioner
    if screen is not None:
        screen.close()
    if journal is not None:
        journal.close()


@pytest.fixture(scope="session")
def account_pool(settings: Settings, profile: TargetProfile, target: Target) -> AccountPool | None:
    """E2E_POOL: accounts lent per role instead of creating users (none may be created)."""
    if settings.pool is None:
        return None
    try:
        return AccountPool(parse_pool(settings.pool, profile.roles.names), target.base_url)
    except AuthprobeError as exc:
        stop_run(exc)
        raise


@pytest.fixture
def users(provisioner: Provisioner, inbox: Inbox, request: pytest.FixtureRequest,
          account_pool: AccountPool | None) -> Iterator[ThrowawayUsers]:
    signup = request.config.stash[SIGNUP]
    made = ThrowawayUsers(provisioner, inbox, request.config.stash[USER_LEDGER], account_pool,
                          signup.restore_password, request.config.stash[JOURNAL])
    changes = request.node.get_closest_marker("changes_account")
    if made.pooled and changes and "role" in changes.args and not made.can_restore_role():
        pytest.skip("changes the role of a pool account, and no channel can set it back "
                    "(describe set_role in [admin_api], [admin_screen] or [commands])")
    yield made
    base_url = request.config.stash.get(BASE_URL, None)
    if base_url and not answers(base_url):
        made.abandon("the target stopped answering")
        return
    failures = made.remove_all()
    if failures:
        pytest.fail("throwaway users were not removed: " + "; ".join(failures), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A check that needs a channel the run does not have is skipped, naming the channel."""
    try:
        return (yield)
    except ProvisioningUnavailable as exc:
        pytest.skip(f"needs a provisioning channel: {exc}")



@dataclass(frozen=True)
class MfaUser:
    user: ThrowawayUser
    enrollment: TotpEnrollment
    totp: Totp


@pytest.fixture
def mfa_user(
    new_context: Callable[..., BrowserContext], profile: TargetProfile, users: ThrowawayUsers
) -> Callable[..., MfaUser]:
    """Factory: a throwaway user who enrolled TOTP through the UI (in a separate context)."""
    if profile.policy.mfa == "off":
        pytest.skip(f"target {profile.name} has MFA off (profile policy)")
    if users.pooled:
        pytest.skip("enrols TOTP, which no channel can undo on a pool account (E2E_POOL)")

    def make(role: str | None = None, tag: str = "mfa") -> MfaUser:
        user = users.create(role=role, tag=tag)
        context = new_context()
        page = context.new_page()
        signed = sign_in(page, profile, user.email, user.password)
        if signed.outcome != "signed_in":
            raise FlowError(f"could not sign in {user.email} to enrol TOTP: {signed.outcome}")
        enrollment = enroll_totp(page, profile)
        context.close()
        totp = enrollment.totp(profile)
        users.remember_mfa(user.email, totp, enrollment.recovery_codes)
        return MfaUser(user, enrollment, totp)

    return make


