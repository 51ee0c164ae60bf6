"""Fixtures of the suite users run: `pytest e2e/ --browser chromium`.

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser
options from playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, BrowserContext, Page, Playwright

from flows.mfa import TotpEnrollment, enroll_totp
from flows.session import sign_in
from harness.errors import AuthprobeError, FlowError
from harness.hooks import HookUnavailable, TestHooks
from harness.journey import Journey
from harness.mail import Inbox
from harness.oracle import BackendSession, UiSession
from harness.otp import Totp
from harness.profile import TargetProfile, load_profile
from harness.settings import Settings, load_settings
from harness.target import Target, preflight, resolve_target
from harness.users import ThrowawayUser, ThrowawayUsers, UserAdmin
from harness.watch import DataFlowLog, EgressWatch

ROOT = Path(__file__).resolve().parent.parent


def _load_playwright_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("authprobe_playwright_config",
                                                  ROOT / "playwright.config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PW_CONFIG = _load_playwright_config()


def _stop(error: Exception) -> None:
    """End the run with the error's one sentence, no traceback wall."""
    pytest.exit(f"authprobe: {error}", returncode=3)


# ---------------------------------------------------------------- configuration


@pytest.fixture(scope="session")
def settings() -> Settings:
    try:
        return load_settings()
    except AuthprobeError as exc:
        _stop(exc)
        raise


@pytest.fixture(scope="session")
def profile(settings: Settings) -> TargetProfile:
    try:
        return load_profile(settings.target)
    except AuthprobeError as exc:
        _stop(exc)
        raise


@pytest.fixture(scope="session")
def target(settings: Settings, profile: TargetProfile) -> Iterator[Target]:
    try:
        running = resolve_target(settings, profile)
    except AuthprobeError as exc:
        _stop(exc)
        raise
    try:
        preflight(running, profile, settings.http_timeout)
    except AuthprobeError as exc:
        running.stop()
        _stop(exc)
    yield running
    running.stop()


@pytest.fixture(scope="session", autouse=True)
def _preflight(target: Target) -> None:
    """Resolve and preflight the target before any browser starts (bad config fails fast)."""


@pytest.fixture(autouse=True)
def _honour_profile_support(request: pytest.FixtureRequest, profile: TargetProfile) -> None:
    """Skip checks the profile declares unsupported, with its stated reason."""
    name = request.node.originalname or request.node.name
    reason = profile.unsupported.get(name)
    if reason:
        pytest.skip(f"unsupported by target {profile.name}: {reason}")


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str, settings: Settings
) -> dict[str, Any]:
    try:
        options = PW_CONFIG.launch_options(browser_name, settings.browser_path)
    except PW_CONFIG.BrowserNotFound as exc:
        _stop(exc)
    return {**options, **browser_type_launch_args}


@pytest.fixture(scope="session")
def browser_context_args(target: Target) -> dict[str, Any]:
    return PW_CONFIG.context_options(target.base_url)


@pytest.fixture(autouse=True)
def _expect_timeouts() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=PW_CONFIG.EXPECT_TIMEOUT_MS)


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


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], egress: EgressWatch, flows_log: DataFlowLog
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, plus the egress watch and data-flow log on every context."""

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(PW_CONFIG.ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(PW_CONFIG.NAVIGATION_TIMEOUT_MS)
        egress.attach(context)
        flows_log.attach(context)
        return context

    return make


# ---------------------------------------------------------------- target services


@pytest.fixture(scope="session")
def inbox(target: Target) -> Iterator[Inbox]:
    with target.inbox() as box:
        yield box


@pytest.fixture(scope="session")
def api(playwright: Playwright, target: Target, settings: Settings) -> Iterator[APIRequestContext]:
    """A cookie-less HTTP client for admin operations and hooks (never a browser's session)."""
    request = playwright.request.new_context(base_url=target.base_url,
                                             timeout=settings.http_timeout * 1000)
    yield request
    request.dispose()


@pytest.fixture
def users(
    api: APIRequestContext, profile: TargetProfile, target: Target, settings: Settings,
    inbox: Inbox,
) -> Iterator[ThrowawayUsers]:
    if profile.admin_api is None or target.admin_token is None:
        pytest.skip("needs the profile's admin_api and E2E_ADMIN_TOKEN to create throwaway users")
    admin = UserAdmin(api, profile.admin_api, target.admin_token, settings.http_timeout)
    yield ThrowawayUsers(admin, inbox, profile.roles.default)
    failures = admin.remove_all()
    if failures:
        pytest.fail("throwaway users were not removed: " + "; ".join(failures), pytrace=False)


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


# ---------------------------------------------------------------- journeys


@pytest.fixture
def journey(
    request: pytest.FixtureRequest, profile: TargetProfile, settings: Settings
) -> Callable[[Page, str], Journey]:
    """Factory: a Journey cross-checking UI and backend of one page after each step."""
    made: list[Journey] = []
    request.node.stash[JOURNEYS] = made

    def make(page: Page, name: str) -> Journey:
        journey = Journey(name, UiSession(page, profile),
                          BackendSession(page.context.request, profile.session_probe,
                                         settings.http_timeout))
        made.append(journey)
        return journey

    return make


JOURNEYS = pytest.StashKey[list[Journey]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        for made in item.stash.get(JOURNEYS, []):
            if made.records:
                report.sections.append((f"journey {made.name}", made.report()))
    return report


def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    """Errors the tool raises on purpose read as one sentence, not a traceback wall."""
    if call.excinfo is not None and isinstance(call.excinfo.value, (AuthprobeError, HookUnavailable)):
        report.longrepr = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"


# ---------------------------------------------------------------- MFA users


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

    def make(role: str | None = None, tag: str = "mfa") -> MfaUser:
        user = users.create(role=role, tag=tag)
        context = new_context()
        page = context.new_page()
        signed = sign_in(page, profile, user.email, user.password)
        if signed.outcome != "signed_in":
            raise FlowError(f"could not sign in {user.email} to enrol TOTP: {signed.outcome}")
        enrollment = enroll_totp(page, profile)
        context.close()
        return MfaUser(user, enrollment, enrollment.totp(profile))

    return make
