"""Throwaway users for the suite: the run's channels, the pool, the journal, MFA users.

Part of the suite's plugin (registered by src/authprobe/plugin/suite.py in an authprobe run);
docs/onboarding.md describes the channels a profile can offer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, BrowserContext

from authprobe.errors import AuthprobeError, FlowError, ProvisioningUnavailable
from authprobe.flows.mfa import enroll_totp
from authprobe.flows.session import sign_in
from authprobe.oob.mail import MailSource
from authprobe.oob.otp import Totp
from authprobe.plugin.runtime import BASE_URL, JOURNAL, PW_CONFIG, SIGNUP, USER_LEDGER, say, stop_run
from authprobe.profile import TargetProfile
from authprobe.provisioning.channels import Provisioner, headless_channels
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.pool import AccountPool, parse_pool
from authprobe.provisioning.removal import LeftoverRemover
from authprobe.provisioning.screen import ScreenChannel, SignupChannel
from authprobe.provisioning.sweep import RunJournal, recover, recover_by_listing
from authprobe.provisioning.users import ThrowawayUsers, UserLedger
from authprobe.security.watch import EgressWatch
from authprobe.settings import Settings
from authprobe.target.app import Target, answers
from authprobe.testing import MakeMfaUser, MfaUser


@pytest.fixture(scope="session")
def authprobe_provisioner(
    request: pytest.FixtureRequest, authprobe_api: APIRequestContext, authprobe_profile: TargetProfile,
    authprobe_target: Target, authprobe_settings: Settings, authprobe_inbox: MailSource, browser: Browser,
    browser_context_args: dict[str, Any],
) -> Iterator[Provisioner]:
    """Every provisioning channel this run can use, from the profile and the settings."""

    def open_context() -> BrowserContext:
        return open_untraced(browser, browser_context_args)  # they type the admin's password

    provisioner, screen = _channels(request.config, open_context, authprobe_api, authprobe_profile,
                                    authprobe_target, authprobe_settings, authprobe_inbox)
    journal = None
    if authprobe_target.process is None:  # a built-in target's users go with its database
        journal = _sweep_and_journal(request.config, provisioner, authprobe_profile, authprobe_target,
                                     authprobe_settings)
    request.config.stash[JOURNAL] = journal
    yield provisioner
    if screen is not None:
        screen.close()
    if journal is not None:
        journal.close()


def open_untraced(browser: Browser, browser_context_args: dict[str, Any], **kwargs: Any) -> BrowserContext:
    """A context nothing records, for typing a long-lived credential (the admin's password, a
    pool account's, a hook or IdP secret).

    pytest-playwright traces and screenshots only the contexts its own `new_context` makes
    (authprobe's extension of it restarts their traces), but it films every context whose
    options carry its video folder: so this one comes straight from the Browser, with every
    recording option (video, HAR) left out, whatever --tracing, --video, --screenshot or
    E2E_KEEP_ARTIFACTS say."""
    options = {key: value for key, value in {**browser_context_args, **kwargs}.items()
               if not key.startswith("record_")}
    context = browser.new_context(**options)
    context.set_default_timeout(PW_CONFIG.ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(PW_CONFIG.NAVIGATION_TIMEOUT_MS)
    return context


@pytest.fixture
def authprobe_untraced_context(browser: Browser, browser_context_args: dict[str, Any],
                               authprobe_egress: EgressWatch) -> Iterator[Callable[..., BrowserContext]]:
    """Factory: contexts never traced, filmed or screenshotted, for a check that signs in with a
    long-lived credential (the admin account on the admin screen); a failure's kept artifacts
    then cannot hold it. Watched for egress like the check's other contexts; closed after it."""
    made: list[BrowserContext] = []

    def make(**kwargs: Any) -> BrowserContext:
        context = open_untraced(browser, browser_context_args, **kwargs)
        authprobe_egress.attach(context)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


def _channels(config: pytest.Config, open_context: Callable[[], BrowserContext], api: APIRequestContext,
              profile: TargetProfile, target: Target, settings: Settings,
              inbox: MailSource) -> tuple[Provisioner, ScreenChannel | None]:
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
    config.stash[USER_LEDGER] = UserLedger()
    config.stash[SIGNUP] = signup
    return Provisioner(profile, channels, missing, only=list(settings.provision) or None), screen


def _sweep_and_journal(config: pytest.Config, provisioner: Provisioner, profile: TargetProfile,
                       target: Target, settings: Settings) -> RunJournal:
    """Remove the users earlier runs left on a shared target, then journal this run's."""
    state = Path(settings.state_dir)
    remover = LeftoverRemover(provisioner, settings.removal_timeout)
    removed, still = recover(state, target.base_url, remover, lambda line: None)
    more, left = recover_by_listing(remover, target.mail_address,
                                    settings.sweep_grace_hours * 3600, lambda line: None)
    removed, still = removed + more, still + left
    if removed or still:
        say(config, f"authprobe: removed {removed} user(s) that earlier runs left on "
            f"the target" + (f"; {still} could not be (`authprobe sweep --list`)" if still else ""))
    return RunJournal(state, profile.name, target.base_url)


@pytest.fixture(scope="session")
def authprobe_account_pool(authprobe_settings: Settings, authprobe_profile: TargetProfile,
                           authprobe_target: Target) -> AccountPool | None:
    """E2E_POOL: accounts lent per role instead of creating users (none may be created)."""
    if authprobe_settings.pool is None:
        return None
    try:
        return AccountPool(parse_pool(authprobe_settings.pool, authprobe_profile.roles.names),
                           authprobe_target.base_url)
    except AuthprobeError as exc:
        stop_run(exc)
        raise


@pytest.fixture
def authprobe_users(
    authprobe_provisioner: Provisioner, authprobe_inbox: MailSource, request: pytest.FixtureRequest,
    authprobe_account_pool: AccountPool | None, authprobe_settings: Settings,
) -> Iterator[ThrowawayUsers]:
    signup = request.config.stash[SIGNUP]
    made = ThrowawayUsers(authprobe_provisioner, authprobe_inbox, request.config.stash[USER_LEDGER],
                          authprobe_account_pool, signup.restore_password, request.config.stash[JOURNAL],
                          authprobe_settings.removal_timeout)
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


@pytest.fixture
def authprobe_mfa_user(
    new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers,
) -> MakeMfaUser:
    """Factory: a throwaway user who enrolled TOTP through the UI (in a separate context)."""
    if authprobe_profile.policy.mfa == "off":
        pytest.skip(f"target {authprobe_profile.name} has MFA off (profile policy)")
    if authprobe_users.pooled:
        pytest.skip("enrols TOTP, which no channel can undo on a pool account (E2E_POOL)")

    def make(role: str | None = None, tag: str = "mfa") -> MfaUser:
        user = authprobe_users.create(role=role, tag=tag)
        context = new_context()
        page = context.new_page()
        signed = sign_in(page, authprobe_profile, user.email, user.password)
        if signed.outcome != "signed_in":
            raise FlowError(f"could not sign in {user.email} to enrol TOTP: {signed.outcome}")
        enrollment = enroll_totp(page, authprobe_profile)
        context.close()
        totp = enrollment.totp(authprobe_profile)
        authprobe_users.remember_mfa(user.email, totp, enrollment.recovery_codes)
        return MfaUser(user, enrollment, totp)

    return make
