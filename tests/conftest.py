"""The tool's own tests: `pytest tests/` is the quick job (the README's second command).

Tests that run the whole e2e suite or an installation in a subprocess (`whole_runs`) and
the mutation matrix (`mutation`) take minutes each: they are left out unless a `-m`
expression asks for them (`.ci/run` runs them as a job of their own on every submission).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from authprobe.browser_config import load_browser_config

pytest_plugins = ["pytester"]  # the plugin's own tests run pytest in-process where they can
LONG_JOBS = ("whole_runs", "mutation")
DURATIONS = Path(__file__).with_name("long-durations.json")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("markexpr"):
        longest_first(items)
        return  # the user chose
    long = [item for item in items if any(item.get_closest_marker(m) for m in LONG_JOBS)]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if item not in long]


def longest_first(items: list[pytest.Item]) -> None:
    """The long job on two workers: its slowest tests first (their stored durations,
    tests/long-durations.json, from CI's `--durations`), so that with `--maxschedchunk 1` a
    worker never starts a six-minute test when the other is about to go idle."""
    stored: dict[str, float] = json.loads(DURATIONS.read_text(encoding="utf-8"))
    items.sort(key=lambda item: -stored.get(item.nodeid, 0.0))  # stable: the rest keep their order


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("markexpr"):
        return None
    return (f"authprobe tests: the quick job; the long ones run with -m \"{' or '.join(LONG_JOBS)}\"")


@pytest.fixture(scope="module")
def chromium() -> Iterator[tuple[Playwright, Browser]]:
    """Playwright and the Chromium that playwright.config.py chooses, for tests that drive a
    real browser outside an authprobe run (pytest-playwright's own `browser` would look for
    Playwright's download, which machines like CI's do not have)."""
    with sync_playwright() as playwright:
        options = load_browser_config().launch_options("chromium", None, playwright)
        browser = playwright.chromium.launch(**options)
        yield playwright, browser
        browser.close()


@pytest.fixture
def run_inprocess(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """`pytester.runpytest_inprocess`, outside this test's soft-assertion scope: Playwright
    allows one per process, and pytest-playwright opens one around every test, the inner
    run's included."""
    import playwright._impl._assertions as assertions

    def run(*args: str) -> pytest.RunResult:
        outer = assertions._soft_errors  # noqa: SLF001 - no public way to leave the scope
        assertions._soft_errors = None  # noqa: SLF001
        try:
            return pytester.runpytest_inprocess(*args)
        finally:
            assertions._soft_errors = outer  # noqa: SLF001

    return run
