"""pytest-playwright's fixtures, extended for an authprobe run (never replaced).

Registered by the plugin only in a run of authprobe checks (e2e/plugin.py), after
pytest-playwright, so each override receives pytest-playwright's value and adds to it:
launch options from playwright.config.py under `--headed`/`--slowmo`/`--browser-channel`;
context options under `--device`/`--video`; `base_url` is the target's origin; every
context gets the egress watch and the data-flow log; the artifact folder is private.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Playwright

from e2e.journeys import remember_output_path
from e2e.run_end import ARTIFACTS
from e2e.runtime import PW_CONFIG, stop_run
from harness.settings import Settings
from harness.target import Target
from runsecurity.artifacts import ArtifactDir
from runsecurity.watch import DataFlowLog, EgressWatch


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


@pytest.fixture(scope="session", autouse=True)
def _private_artifacts(pytestconfig: pytest.Config, delete_output_dir: None) -> None:
    """The artifact folder, 0700, made after pytest-playwright emptied it."""
    pytestconfig.stash[ARTIFACTS] = ArtifactDir(Path(pytestconfig.option.output))


@pytest.fixture(autouse=True)
def _remember_output_path(request: pytest.FixtureRequest) -> None:
    """So a failure's screenshot and trace reach the HTML report (e2e/journeys.py)."""
    remember_output_path(request)
