"""pytest-playwright's fixtures, extended for an authprobe run (never replaced).

Registered by the plugin only in a run of authprobe checks (src/authprobe/plugin/suite.py), after
pytest-playwright, so each override receives pytest-playwright's value and adds to it:
launch options from playwright.config.py under `--headed`/`--slowmo`/`--browser-channel`;
context options under `--device`/`--video`; `base_url` is the target's origin; every
context gets the egress watch, and the data-flow log when the test reads one (recording
every body costs each navigation a round trip); the artifact folder is private.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright
from playwright.sync_api import Error as PlaywrightError

from authprobe.errors import AuthprobeError, ConfigError
from authprobe.plugin.journeys import remember_output_path
from authprobe.plugin.run_end import ARTIFACTS
from authprobe.plugin.runtime import PW_CONFIG, TRACE_WITHOUT_FILMSTRIP, stop_run
from authprobe.security.artifacts import ArtifactDir
from authprobe.security.watch import DataFlowLog, EgressWatch
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.tls import IGNORING


def cache_driver_compilation() -> None:
    """Playwright's driver (Node) compiles its code once and keeps it (NODE_COMPILE_CACHE):
    50 ms of the 0.2 s every run and every xdist worker spends starting it. A user's own
    NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE wins."""
    if "NODE_COMPILE_CACHE" not in os.environ and "NODE_DISABLE_COMPILE_CACHE" not in os.environ:
        os.environ["NODE_COMPILE_CACHE"] = str(PW_CONFIG.driver_compile_cache())


def trust_private_ca() -> None:
    """E2E_CA_BUNDLE for Playwright's Node driver (the admin API and hooks), set before any
    fixture starts Playwright (`Trust.for_node_driver`); bad settings are reported by the
    run's settings fixture, not here."""
    try:
        Settings().trust().for_node_driver()
    except Exception:  # noqa: BLE001 - the settings fixture says what is wrong, in one sentence
        return


def pytest_report_header(config: pytest.Config) -> str | None:
    """E2E_IGNORE_HTTPS_ERRORS, said once at the start of the run."""
    try:
        return IGNORING if Settings().ignore_https_errors else None
    except Exception:  # noqa: BLE001 - reported by the settings fixture
        return None


def _trust_options(settings: Settings, browser_name: str) -> dict[str, Any]:
    """Chromium accepts E2E_CA_BUNDLE's keys and E2E_BASE_URL's certificate once it verified
    against the bundle (by SPKI hash, see src/authprobe/tls.py); other engines have no such
    switch and need the CA in the system store or E2E_IGNORE_HTTPS_ERRORS."""
    if browser_name != "chromium":
        return {}
    try:
        args = settings.trust().chromium_args(settings.base_url, settings.http_timeout)
    except AuthprobeError as exc:
        stop_run(exc)
    return {"args": args} if args else {}


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str, authprobe_settings: Settings,
    playwright: Playwright,
) -> dict[str, Any]:
    """playwright.config.py's launch options under pytest-playwright's (--headed, --slowmo,
    --browser-channel win); a channel replaces the browser we would look for."""
    options: dict[str, Any] = {}
    remote = authprobe_settings.browser_endpoint is not None  # the server finds its own browser
    try:
        find = authprobe_settings.browser_path is not None or (
            not remote and "channel" not in browser_type_launch_args)
        options = PW_CONFIG.launch_options(browser_name, authprobe_settings.browser_path, playwright,
                                           find=find,
                                           headless=browser_type_launch_args.get("headless", True))
    except PW_CONFIG.BrowserNotFound as exc:
        stop_run(exc)
    merged = {**options, **browser_type_launch_args}
    trust = _trust_options(authprobe_settings, browser_name)
    if trust:
        merged["args"] = [*merged.get("args", []), *trust["args"]]
    return merged


@pytest.fixture(scope="session")
def base_url(authprobe_target: Target) -> str:
    """pytest-playwright's meaning, kept: the origin of the app under test (the sandbox's too)."""
    return authprobe_target.base_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any],
                         authprobe_target: Target) -> dict[str, Any]:
    """playwright.config.py's context options under pytest-playwright's (--device, --video);
    E2E_IGNORE_HTTPS_ERRORS=true as Playwright's ignore_https_errors."""
    ignore = {"ignore_https_errors": True} if authprobe_target.trust.ignore else {}
    return {**PW_CONFIG.context_options(authprobe_target.base_url), **ignore, **browser_context_args}


@pytest.fixture(autouse=True)
def _authprobe_expect_timeouts() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=PW_CONFIG.EXPECT_TIMEOUT_MS)


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], authprobe_egress: EgressWatch,
    request: pytest.FixtureRequest,
) -> Callable[..., BrowserContext]:
    """pytest-playwright's factory, plus the egress watch on every context and, for a test
    that asks for `authprobe_flows_log`, the data-flow log. A trace that E2E_KEEP_ARTIFACTS asked for
    records no filmstrip unless E2E_TRACE_SCREENSHOTS says so (a `--tracing` given to
    pytest-playwright keeps its own full trace)."""
    flows_log: DataFlowLog | None = (request.getfixturevalue("authprobe_flows_log")
                                     if "authprobe_flows_log" in request.fixturenames else None)
    without_filmstrip = request.config.stash.get(TRACE_WITHOUT_FILMSTRIP, False)

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        if without_filmstrip:  # restarted before any page exists, so no frame is ever taken
            context.tracing.stop()
            context.tracing.start(title=request.node.nodeid, snapshots=True, sources=True)
        context.set_default_timeout(PW_CONFIG.ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(PW_CONFIG.NAVIGATION_TIMEOUT_MS)
        authprobe_egress.attach(context)
        if flows_log is not None:
            flows_log.attach(context)
        return context

    return make


@pytest.fixture(scope="session", autouse=True)
def _authprobe_private_artifacts(pytestconfig: pytest.Config, delete_output_dir: None) -> None:
    """The artifact folder, 0700, made after pytest-playwright emptied it."""
    pytestconfig.stash[ARTIFACTS] = ArtifactDir(Path(pytestconfig.option.output))


@pytest.fixture(autouse=True)
def _authprobe_remember_output_path(request: pytest.FixtureRequest) -> None:
    """So a failure's screenshot and trace reach the HTML report (src/authprobe/plugin/journeys.py)."""
    remember_output_path(request)


@pytest.fixture(scope="session")
def connect_options(connect_options: dict[str, Any] | None, authprobe_settings: Settings,
                    browser_type_launch_args: dict[str, Any]) -> dict[str, Any] | None:
    """E2E_BROWSER_ENDPOINT: every browser comes from a `playwright run-server` endpoint.

    The server reads launch options from a header in its own (camelCase) spelling; the one
    pytest-playwright sends is snake_case, so the server would ignore a browser path or args.
    A server applies a path and args only when started with --unsafe (a loopback server)."""
    if authprobe_settings.browser_endpoint is None:
        return connect_options
    camel = {re.sub(r"_(\w)", lambda m: m.group(1).upper(), key): value
             for key, value in browser_type_launch_args.items()}
    headers = {**((connect_options or {}).get("headers") or {}),
               "x-playwright-launch-options": json.dumps(camel)}
    return {**(connect_options or {}),
            "endpoint": authprobe_settings.browser_endpoint.get_secret_value(),
            "timeout": PW_CONFIG.LAUNCH_TIMEOUT_MS, "headers": headers}


@pytest.fixture(scope="session")
def launch_browser(launch_browser: Callable[..., Browser], connect_options: dict[str, Any] | None,
                   authprobe_settings: Settings) -> Callable[..., Browser]:
    """pytest-playwright's launcher; a browser server that cannot serve this run, or an
    E2E_BROWSER_PATH program that is not a browser, is one sentence."""

    def launch(**kwargs: Any) -> Browser:
        try:
            return launch_browser(**kwargs)
        except PlaywrightError as exc:
            if connect_options:
                stop_run(ConfigError(remote_browser_problem(str(exc))))
            elif (problem := PW_CONFIG.launch_problem(authprobe_settings.browser_path, str(exc))):
                stop_run(problem)
            raise

    return launch


def remote_browser_problem(error: str) -> str:
    """The one sentence for a failed connection to E2E_BROWSER_ENDPOINT (never the endpoint)."""
    from playwright._repo_version import version

    mismatch = re.search(r"server version:\s*v?(\d+\.\d+(?:\.\d+)?)", error)
    if "version" in error.lower() or "428" in error:
        server = mismatch.group(1) if mismatch else "another version"
        return (f"The browser server at E2E_BROWSER_ENDPOINT runs Playwright {server}, this run "
                f"has {version}; run `playwright run-server` of the same version as this run's "
                "Playwright (or install that version here).")
    first = error.strip().splitlines()[0] if error.strip() else "no answer"
    first = re.sub(r"wss?://\S+", "E2E_BROWSER_ENDPOINT", first)
    return (f"Could not connect to the browser server at E2E_BROWSER_ENDPOINT ({first}); check "
            "that `playwright run-server` is running there and the endpoint is right.")
