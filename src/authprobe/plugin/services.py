"""The target's services for a test: mailbox, phone, admin/hook HTTP client, hooks, egress watch."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import APIRequestContext, Playwright

from authprobe.errors import ConfigError
from authprobe.oob.mail import Inbox
from authprobe.oob.sms import Phone
from authprobe.profile import TargetProfile
from authprobe.security.watch import DataFlowLog, EgressWatch
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks


@pytest.fixture
def egress(settings: Settings, target: Target) -> Iterator[EgressWatch]:
    """Every request of every context this test opens; outside origins fail the test."""
    watch = EgressWatch([target.base_url], settings.egress_allow, mode=settings.egress_mode)
    yield watch
    outside = watch.assert_clean()
    if outside:
        print(f"\nauthprobe egress (report mode): {len(outside)} outside request(s)")


@pytest.fixture
def flows_log() -> DataFlowLog:
    return DataFlowLog()


@pytest.fixture(scope="session")
def inbox(target: Target) -> Iterator[Inbox]:
    with target.inbox() as box:
        yield box


@pytest.fixture(scope="session")
def phone(target: Target, profile: TargetProfile, settings: Settings) -> Phone:
    """The test phone on the gateway of the profile's [sms]; checks without one are skipped."""
    if profile.sms is None:
        pytest.skip(f"target {profile.name} states no [sms] in its profile")
    try:
        device = target.phone(profile, settings)
    except ConfigError as exc:
        pytest.skip(str(exc))
    device.check()  # a gateway that is set but wrong stops the check with one sentence
    return device


@pytest.fixture(scope="session")
def api(playwright: Playwright, target: Target, settings: Settings) -> Iterator[APIRequestContext]:
    """A cookie-less HTTP client for admin operations and hooks (never a browser's session).

    It sends the admin and hook tokens, so it bypasses pytest-playwright's wrapper that
    traces every request context: a trace would keep the tokens in its headers.
    """
    untraced = type(playwright.request).new_context.__get__(playwright.request)
    request = untraced(base_url=target.base_url, timeout=settings.http_timeout * 1000)
    yield request
    request.dispose()


@pytest.fixture(scope="session")
def hooks(api: APIRequestContext, profile: TargetProfile, target: Target,
          settings: Settings) -> TestHooks:
    return TestHooks(api, profile.hooks, target.hook_token, settings.http_timeout)


@pytest.fixture
def require_hook(profile: TargetProfile, target: Target) -> Callable[[str], None]:
    def check(name: str) -> None:
        if name not in profile.hooks.all():
            pytest.skip(f"target {profile.name} has no '{name}' test hook in its profile")
        if target.hook_token is None:
            pytest.skip("E2E_HOOK_TOKEN is not set")

    return check
