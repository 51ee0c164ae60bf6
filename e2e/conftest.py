"""Fixtures of the suite users run: `pytest e2e/ --browser chromium`.

settings + profile → target (sandbox or E2E_BASE_URL, preflighted) → browser
options from playwright.config.py → inbox, throwaway users, hooks, journeys.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, BrowserContext, Playwright

from e2e.journeys import (  # noqa: F401 - journeys in traces, reports, JUnit and HTML
    _remember_output_path,
    attach_journeys,
    journey,
)
from e2e.provisioning import (  # noqa: F401 - fixtures and hooks of the suite's plugin
    MfaUser,
    account_pool,
    mfa_user,
    provisioner,
    pytest_runtest_call,
    users,
)
from e2e.run_end import (  # noqa: F401 - the run's end, once per run (also under xdist)
    _private_artifacts,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from e2e.runtime import BASE_URL, PW_CONFIG, RUN_SECRETS, stop_run
from harness.errors import AuthprobeError, ConfigError
from harness.hooks import HookUnavailable, TestHooks
from harness.mail import Inbox
from harness.profile import TargetProfile, load_profile
from harness.settings import Settings, load_settings
from harness.target import Target, answers, preflight, resolve_target
from pages import locator_problems
from runsecurity.hygiene import (
    RedactingStream,
    contains_secret,
    install_redacting_excepthook,
    redact,
    run_secrets,
)
from runsecurity.watch import DataFlowLog, EgressWatch

# ---------------------------------------------------------------- configuration


def _base_url_option(config: pytest.Config) -> str | None:
    """pytest-playwright's `--base-url` (or the `base_url` ini value): the target's origin."""
    return config.getoption("--base-url", None) or config.getini("base_url") or None


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    try:
        return load_settings(_base_url_option(pytestconfig))
    except AuthprobeError as exc:
        stop_run(exc)
        raise


@pytest.fixture(scope="session")
def profile(settings: Settings) -> TargetProfile:
    try:
        loaded = load_profile(settings.target)
    except AuthprobeError as exc:
        stop_run(exc)
        raise
    problems = locator_problems(loaded)
    if problems:
        more = f" ({len(problems)} problems in all)" if len(problems) > 1 else ""
        stop_run(ConfigError(f"Target profile {loaded.name}: {problems[0]}{more}; fix the profile."))
    return loaded


@pytest.fixture(scope="session")
def target(
    request: pytest.FixtureRequest, settings: Settings, profile: TargetProfile
) -> Iterator[Target]:
    try:
        running = resolve_target(settings, profile)
    except AuthprobeError as exc:
        stop_run(exc)
        raise
    try:
        preflight(running, profile, settings.http_timeout)
    except AuthprobeError as exc:
        running.stop()
        stop_run(exc)
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
    """playwright.config.py's launch options under pytest-playwright's (--headed, --slowmo,
    --browser-channel win); a channel replaces the browser we would look for."""
    options: dict[str, Any] = {}
    try:
        options = PW_CONFIG.launch_options(browser_name, settings.browser_path, playwright,
                                           find=settings.browser_path is not None
                                           or "channel" not in browser_type_launch_args)
    except PW_CONFIG.BrowserNotFound as exc:
        stop_run(exc)
    return {**options, **browser_type_launch_args}


@pytest.fixture(scope="session")
def base_url(target: Target) -> str:
    """pytest-playwright's meaning, kept: the origin of the app under test (the sandbox's too)."""
    return target.base_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], target: Target) -> dict[str, Any]:
    """playwright.config.py's context options under pytest-playwright's (--device, --video)."""
    return {**PW_CONFIG.context_options(target.base_url), **browser_context_args}


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    attach_journeys(item, report)
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
    """Keep the run's secrets out of the terminal, JUnit XML and the HTML report.

    Playwright's error messages list request headers (an admin token included), and
    captured output holds whatever a library printed.
    """
    if not secrets:
        return
    text = str(report.longrepr) if report.longrepr is not None else ""
    if contains_secret(text, secrets):
        report.longrepr = redact(text, secrets)
    report.sections = [(title, redact(content, secrets)) for title, content in report.sections]
    report.user_properties = [(name, redact(str(value), secrets))
                              for name, value in report.user_properties]


def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    """Errors the tool raises on purpose read as one sentence, not a traceback wall."""
    if call.excinfo is not None and isinstance(call.excinfo.value, (AuthprobeError, HookUnavailable)):
        report.longrepr = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"


# ---------------------------------------------------------------- artifacts of the run

def _given(config: pytest.Config, flag: str) -> bool:
    """Whether the user set `flag`: on the command line, in PYTEST_ADDOPTS or in `addopts`."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *config.getini("addopts")]
    return any(arg == flag or arg.startswith(flag + "=") for arg in args)


@pytest.hookimpl(trylast=True)  # after pytest's terminal reporter exists
def pytest_configure(config: pytest.Config) -> None:
    """Traces and screenshots on failure only (E2E_KEEP_ARTIFACTS), unless the command line says.

    Traces hold every typed password and cookie: keeping them for passing tests only
    multiplies what could leak.
    """
    secrets: dict[str, Any] = {}
    config.stash[RUN_SECRETS] = secrets
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
