"""Journeys where people look: the trace viewer, the terminal, JUnit XML and the HTML report.

Each step is a named group in the Playwright trace; `-v` runs print each step as it ends;
the failure report carries the journey as a text section, JUnit XML as a testcase
property, and pytest-html (`--html report.html --self-contained-html`) as a table with
mismatches highlighted, plus the failed test's screenshot and a link to its trace.
pytest-html rather than Allure: one self-contained file that opens without a server or a
Java CLI, which is what a person reading a nightly failure from CI artifacts has.

Each journey's page also counts its calls to the session endpoint and the role APIs per page
load (src/authprobe/oracle/calls.py); a page load over the profile's `calls_per_page_load` fails the
test when it ends, listing the calls and the scripts that made them.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from authprobe.oracle.calls import EndpointCalls
from authprobe.oracle.journey import Journey, StepRecord
from authprobe.oracle.session import BackendSession
from authprobe.pages.account import UiSession
from authprobe.plugin.runtime import say
from authprobe.profile import TargetProfile
from authprobe.settings import Settings
from authprobe.testing import MakeJourney

JOURNEYS = pytest.StashKey[list[Journey]]()
FAILED = pytest.StashKey[bool]()
OUTPUT_PATH = pytest.StashKey[Path]()


@pytest.fixture
def authprobe_journey(
    request: pytest.FixtureRequest, authprobe_profile: TargetProfile, authprobe_settings: Settings
) -> Iterator[MakeJourney]:
    """Factory: a Journey cross-checking UI and backend of one page after each step."""
    made: list[Journey] = []
    request.node.stash[JOURNEYS] = made
    remember_output_path(request)
    config = request.config
    live = _live_printer(config, request.node.nodeid) if config.get_verbosity() > 0 else None
    counted: dict[Page, EndpointCalls] = {}

    def make(page: Page, name: str) -> Journey:
        if page not in counted:
            counted[page] = EndpointCalls(path for path, _ in
                                          authprobe_profile.authorising_endpoints())
            counted[page].attach(page)
        journey = Journey(name, UiSession(page, authprobe_profile),
                          BackendSession(page.context.request, authprobe_profile.session_probe,
                                         authprobe_settings.http_timeout),
                          trace=page.context.tracing, on_record=live,
                          budgets=authprobe_profile.budgets, calls=counted[page])
        made.append(journey)
        return journey

    yield make
    for page in counted:
        with contextlib.suppress(PlaywrightError):
            page.evaluate("0")  # the browser's last network events reach us before its answer
    allowed = authprobe_profile.budgets.calls_per_page_load
    redundant = [line for calls in counted.values() for line in calls.over(allowed)]
    if redundant:
        pytest.fail("pages asked the session or role endpoints more often than the profile's "
                    "[budgets] calls_per_page_load allows:\n  " + "\n  ".join(redundant),
                    pytrace=False)


def _live_printer(config: pytest.Config, nodeid: str) -> Callable[[Journey, StepRecord], None]:
    def show(journey: Journey, record: StepRecord) -> None:
        say(config, f"    {record.outcome:<8} {record.seconds:5.2f}s  {journey.name}: {record.name}")

    return show


def attach_journeys(item: pytest.Item, report: pytest.TestReport) -> None:
    """Put the test's journeys (and, on failure, its screenshot and trace) on its report."""
    journeys = [made for made in item.stash.get(JOURNEYS, []) if made.records]
    if report.when == "call":
        if report.failed:
            item.stash[FAILED] = True
        for made in journeys:
            report.sections.append((f"journey {made.name}", made.report()))
            # JUnit XML takes properties from the teardown report, which copies the item's
            item.user_properties.append((f"journey {made.name}", made.report()))
        _add_extras(report, [_html(made.as_html()) for made in journeys])
    elif report.when == "teardown" and item.stash.get(FAILED, False):
        _add_extras(report, _failure_artifacts(item))


def _html(content: str) -> Any:
    import pytest_html.extras

    return pytest_html.extras.html(content)


def _add_extras(report: pytest.TestReport, extras: list[Any]) -> None:
    if extras:
        report.extras = [*getattr(report, "extras", []), *extras]  # type: ignore[attr-defined]


def _failure_artifacts(item: pytest.Item) -> list[Any]:
    """The screenshot (inline) and a link to the trace pytest-playwright kept for this test."""
    import pytest_html.extras

    folder = _artifact_folder(item)
    if folder is None:
        return []
    extras: list[Any] = []
    for shot in sorted(folder.glob("*.png")):
        extras.append(pytest_html.extras.png(base64.b64encode(shot.read_bytes()).decode(), shot.name))
    report_path = getattr(item.config.option, "htmlpath", None)
    for trace in sorted(folder.glob("trace*.zip")):
        where = os.path.relpath(trace, Path(report_path).resolve().parent) if report_path else str(trace)
        extras.append(pytest_html.extras.url(where, f"trace ({trace.name}): playwright show-trace"))
    return extras


def remember_output_path(request: pytest.FixtureRequest) -> None:
    """Where pytest-playwright keeps this test's trace and screenshot (its `output_path`)."""
    request.node.stash[OUTPUT_PATH] = Path(request.getfixturevalue("output_path"))


def _artifact_folder(item: pytest.Item) -> Path | None:
    folder = item.stash.get(OUTPUT_PATH, None)
    return folder if folder is not None and folder.is_dir() else None
