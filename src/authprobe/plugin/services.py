"""The target's services for a test: mailbox, phone, admin/hook HTTP client, hooks, egress watch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import APIRequestContext, Playwright

from authprobe.errors import ConfigError
from authprobe.oob.mail import MailSource
from authprobe.oob.sms import Phone
from authprobe.profile import TargetProfile
from authprobe.security.watch import DataFlowLog, EgressWatch
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks
from authprobe.testing import RequireHook


@pytest.fixture
def authprobe_egress(authprobe_settings: Settings, authprobe_target: Target,
                     authprobe_profile: TargetProfile) -> Iterator[EgressWatch]:
    """Every request of every context this test opens; outside origins fail the test (the
    identity provider of [sso] is the target's own)."""
    idp = [authprobe_target.idp_url] if authprobe_profile.sso and authprobe_target.idp_url else []
    if authprobe_profile.passkeys is not None:  # the same app, at the host WebAuthn accepts
        idp.append(authprobe_profile.passkeys.origin(authprobe_target.base_url))
    watch = EgressWatch([authprobe_target.base_url, *idp], authprobe_settings.egress_allow,
                        mode=authprobe_settings.egress_mode)
    yield watch
    outside = watch.assert_clean()
    if outside:
        print(f"\nauthprobe egress (report mode): {len(outside)} outside request(s)")


@pytest.fixture
def authprobe_flows_log() -> DataFlowLog:
    return DataFlowLog()


@pytest.fixture(scope="session")
def authprobe_inbox(authprobe_target: Target) -> Iterator[MailSource]:
    with authprobe_target.inbox() as box:
        yield box


@pytest.fixture(scope="session")
def authprobe_phone(authprobe_target: Target, authprobe_profile: TargetProfile,
                    authprobe_settings: Settings) -> Phone:
    """The test phone on the gateway of the profile's [sms]; checks without one are skipped."""
    if authprobe_profile.sms is None:
        pytest.skip(f"target {authprobe_profile.name} states no [sms] in its profile")
    try:
        device = authprobe_target.phone(authprobe_profile, authprobe_settings)
    except ConfigError as exc:
        pytest.skip(str(exc))
    device.check()  # a gateway that is set but wrong stops the check with one sentence
    return device


@pytest.fixture(scope="session")
def authprobe_api(playwright: Playwright, authprobe_target: Target,
                  authprobe_settings: Settings) -> Iterator[APIRequestContext]:
    """A cookie-less HTTP client for admin operations and hooks (never a browser's session).

    It sends the admin and hook tokens, so it bypasses pytest-playwright's wrapper that
    traces every request context: a trace would keep the tokens in its headers. It trusts
    E2E_CA_BUNDLE through NODE_EXTRA_CA_CERTS (src/authprobe/plugin/browser.py), or nothing
    is verified under E2E_IGNORE_HTTPS_ERRORS.
    """
    untraced = type(playwright.request).new_context.__get__(playwright.request)
    request = untraced(base_url=authprobe_target.base_url,
                       timeout=authprobe_settings.http_timeout * 1000,
                       ignore_https_errors=authprobe_target.trust.ignore)
    yield request
    request.dispose()


@pytest.fixture(scope="session")
def authprobe_hooks(authprobe_api: APIRequestContext, authprobe_profile: TargetProfile,
                    authprobe_target: Target, authprobe_settings: Settings) -> TestHooks:
    return TestHooks(authprobe_api, authprobe_profile.hooks, authprobe_target.hook_token,
                     authprobe_settings.http_timeout)


@pytest.fixture
def authprobe_require_hook(authprobe_profile: TargetProfile, authprobe_target: Target) -> RequireHook:
    def check(name: str) -> None:
        if name not in authprobe_profile.hooks.all():
            pytest.skip(f"target {authprobe_profile.name} has no '{name}' test hook in its profile")
        if authprobe_target.hook_token is None:
            pytest.skip("E2E_HOOK_TOKEN is not set")

    return check
