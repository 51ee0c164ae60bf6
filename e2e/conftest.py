"""Fixtures of the suite users run: `pytest e2e/ --browser chromium`.

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser
options from playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Page, Playwright

from flows.mfa import TotpEnrollment, enroll_totp
from flows.provision import ScreenChannel, SignupChannel
from flows.session import sign_in
from harness.artifacts import ArtifactDir
from harness.commands import CommandRunner
from harness.errors import AuthprobeError, ConfigError, FlowError
from harness.hooks import HookUnavailable, TestHooks
from harness.hygiene import (
    RedactingStream,
    contains_secret,
    install_redacting_excepthook,
    redact,
    run_secrets,
)
from harness.journey import Journey
from harness.mail import Inbox
from harness.oracle import BackendSession, UiSession
from harness.otp import Totp
from harness.pool import AccountPool, parse_pool
from harness.profile import TargetProfile, load_profile
from harness.scan import format_findings
from harness.settings import Settings, load_settings
from harness.sweep import RunJournal, recover, recover_by_listing
from harness.target import Target, answers, preflight, resolve_target
from harness.users import (
    Provisioner,
    ProvisioningUnavailable,
    ThrowawayUser,
    ThrowawayUsers,
    UserLedger,
    headless_channels,
)
from harness.watch import DataFlowLog, EgressWatch
from pages import locator_problems

ROOT = Path(__file__).resolve().parent.parent


def _load_playwright_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("authprobe_playwright_config",
                                                  ROOT / "playwright.config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PW_CONFIG = _load_playwright_config()
RUN_SECRETS = pytest.StashKey[dict[str, Any]]()
BASE_URL = pytest.StashKey[str]()


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
        loaded = load_profile(settings.target)
    except AuthprobeError as exc:
        _stop(exc)
        raise
    problems = locator_problems(loaded)
    if problems:
        more = f" ({len(problems)} problems in all)" if len(problems) > 1 else ""
        _stop(ConfigError(f"Target profile {loaded.name}: {problems[0]}{more}; fix the profile."))
    return loaded


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, settings: Settings, profile: TargetProfile
) -> Iterator[Target]:
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
    request.config.stash[RUN_SECRETS].update(run_secrets(settings, running))
    request.config.stash[BASE_URL] = running.base_url
    yield running
    running.stop()


@pytest.fixture(scope="session", autouse=True)
def _preflight(target: Target) -> None:
    """Resolve and preflight the target before any browser starts (bad config fails fast)."""


@pytest.fixture(autouse=True)
def _honour_profile_support(request: pytest.FixtureRequest, profile: TargetProfile) -> None:
    """Skip checks the profile declares unsupported; expect accepted risks to fail (strict)."""
    name = request.node.originalname or request.node.name
    reason = profile.unsupported.get(name)
    if reason:
        pytest.skip(f"unsupported by target {profile.name}: {reason}")
    risk = profile.accepted_risks.get(name)
    if risk:
        request.applymarker(pytest.mark.xfail(
            reason=f"accepted risk of target {profile.name}: {risk}", strict=True))


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str, settings: Settings,
    playwright: Playwright,
) -> dict[str, Any]:
    try:
        options = PW_CONFIG.launch_options(browser_name, settings.browser_path, playwright)
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
    """A cookie-less HTTP client for admin operations and hooks (never a browser's session).

    It sends the admin and hook tokens, so it bypasses pytest-playwright's wrapper that
    traces every request context: a trace would keep the tokens in its headers.
    """
    untraced = type(playwright.request).new_context.__get__(playwright.request)
    request = untraced(base_url=target.base_url, timeout=settings.http_timeout * 1000)
    yield request
    request.dispose()


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
            _say(request.config, f"authprobe: removed {removed} user(s) that earlier runs left on "
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
        _stop(exc)
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


USER_LEDGER = pytest.StashKey[UserLedger]()
SIGNUP = pytest.StashKey[SignupChannel]()
JOURNAL = pytest.StashKey[RunJournal | None]()


def _say(config: pytest.Config, line: str) -> None:
    """A line on the terminal now, even from inside a fixture (where output is captured)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        (reporter.write_line if reporter is not None else print)(line)


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
    _redact_report(report, item.config.stash.get(RUN_SECRETS, {}))
    base_url = item.config.stash.get(BASE_URL, None)
    if report.failed and base_url and not item.session.shouldstop and not answers(base_url):
        # one sentence instead of every later test failing on a refused connection
        item.session.shouldstop = (
            f"authprobe: the target at {base_url} stopped answering during {item.nodeid}; "
            "the run stops here (users it could not remove are cleaned at the next run or by "
            "`authprobe sweep`)")
    return report


def _redact_report(report: pytest.TestReport, secrets: dict[str, Any]) -> None:
    """Keep the run's secrets out of the terminal and JUnit XML.

    Playwright's error messages list request headers (an admin token included), and
    captured output holds whatever a library printed.
    """
    if not secrets:
        return
    text = str(report.longrepr) if report.longrepr is not None else ""
    if contains_secret(text, secrets):
        report.longrepr = redact(text, secrets)
    report.sections = [(title, redact(content, secrets)) for title, content in report.sections]


def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    """Errors the tool raises on purpose read as one sentence, not a traceback wall."""
    if call.excinfo is not None and isinstance(call.excinfo.value, (AuthprobeError, HookUnavailable)):
        report.longrepr = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"


# ---------------------------------------------------------------- artifacts of the run

ARTIFACTS = pytest.StashKey[ArtifactDir]()


def _given(config: pytest.Config, flag: str) -> bool:
    return any(arg == flag or arg.startswith(flag + "=") for arg in config.invocation_params.args)


@pytest.hookimpl(trylast=True)  # after pytest's terminal reporter exists
def pytest_configure(config: pytest.Config) -> None:
    """Traces and screenshots on failure only (E2E_KEEP_ARTIFACTS), unless the command line says.

    Traces hold every typed password and cookie: keeping them for passing tests only
    multiplies what could leak.
    """
    config.stash[RUN_SECRETS] = secrets = {}
    install_redacting_excepthook(secrets)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # everything pytest prints passes through the redactor
        writer = reporter._tw  # noqa: SLF001 - pytest offers no public hook for its stream
        writer._file = RedactingStream(writer._file, secrets)  # noqa: SLF001
    try:
        settings = load_settings()
    except AuthprobeError:
        return  # the settings fixture stops the run with the one-sentence error
    secrets.update(settings.secrets())
    tracing, screenshot = PW_CONFIG.ARTIFACT_MODES[settings.keep_artifacts]
    if not _given(config, "--tracing"):
        config.option.tracing = tracing
    if not _given(config, "--screenshot"):
        config.option.screenshot = screenshot
    if not _given(config, "--output"):
        config.option.output = settings.artifacts_dir


@pytest.fixture(scope="session", autouse=True)
def _private_artifacts(pytestconfig: pytest.Config, delete_output_dir: None) -> None:
    """The artifact folder, 0700, made after pytest-playwright emptied it."""
    pytestconfig.stash[ARTIFACTS] = ArtifactDir(Path(pytestconfig.option.output))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Seal the kept artifacts 0600 and scan them for the run's secrets; findings fail the run."""
    artifacts = session.config.stash.get(ARTIFACTS, None)
    if artifacts is None or not artifacts.path.is_dir():
        return
    if not any(artifacts.path.iterdir()):
        with contextlib.suppress(OSError):  # nothing kept: leave nothing behind
            artifacts.path.rmdir()
        return
    artifacts.seal()
    secrets = session.config.stash.get(RUN_SECRETS, None)
    if secrets is None:
        try:
            secrets = run_secrets(load_settings(), None)
        except AuthprobeError:
            secrets = {}
    findings = artifacts.scan(secrets)
    leaks = [f for f in findings if f.kind.startswith("secret")]
    shapes = len(findings) - len(leaks)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    if leaks:
        write(format_findings(leaks))
        write(f"authprobe: the run's secrets are in {len(leaks)} place(s) of the artifacts under "
              f"{artifacts.path}; do not publish them, and find what recorded them.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        write(f"authprobe: artifacts under {artifacts.path} scanned, none of the run's secrets found.")
    if shapes:
        # Traces hold the throwaway users' typed passwords and one-time links by design.
        write(f"authprobe: {shapes} token-shaped value(s) (throwaway passwords, one-time links) in "
              f"the artifacts; `authprobe scan {artifacts.path}` lists them.")


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Where the run's time went outside the browser: TOTP windows and mail."""
    from harness.mail import MAIL_STATS
    from harness.otp import LEDGER

    if MAIL_STATS.waits or LEDGER.seconds_waited:
        terminalreporter.write_line(
            f"authprobe: waited {LEDGER.seconds_waited:.1f} s for TOTP windows; "
            f"{MAIL_STATS.seconds:.1f} s for {MAIL_STATS.waits} mail(s)"
        )
    ledger = terminalreporter.config.stash.get(USER_LEDGER, None)
    if ledger is not None and ledger.entries:
        terminalreporter.write_line(ledger.summary())
        for entry in ledger.left():
            terminalreporter.write_line(f"  left on the target: {entry.email} ({entry.cleaned})")
