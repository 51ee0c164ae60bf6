"""Journeys where people look: the trace viewer, the terminal, JUnit XML and the HTML report.

Each step is a named group in the Playwright trace; `-v` runs print each step as it ends;
the failure report carries the journey as a text section, JUnit XML as a testcase
property, and pytest-html (`--html report.html --self-contained-html`) as a table with
mismatches highlighted, plus the failed test's screenshot and a link to its trace.

A failure is read the morning after by someone who did not write the check, so it leads with
the finding: the assertion message (both sides of a mismatch) comes first in the HTML report
and in JUnit, then the journey, where a judgement that failed after the last step is a red step
of its own (otherwise every step reads "ok"), the screenshot and the trace; pytest's traceback,
source and locals stay in the report, folded away. The terminal names the kept trace and the
`playwright show-trace` command that opens it under each failure.
pytest-html rather than Allure: one self-contained file that opens without a server or a
Java CLI, which is what a person reading a nightly failure from CI artifacts has.

Each journey's page also counts its calls to the session endpoint and the role APIs per page
load (src/authprobe/oracle/calls.py); a page load over the profile's `calls_per_page_load` fails the
test when it ends, listing the calls and the scripts that made them.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import shlex
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
from authprobe.plugin.runtime import RUN_SECRETS, say
from authprobe.profile import TargetProfile
from authprobe.security.hygiene import redact
from authprobe.settings import Settings
from authprobe.testing import MakeJourney

TRACE = "playwright_trace"  # pytest-playwright's teardown property for each kept trace
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


def attach_journeys(item: pytest.Item, report: pytest.TestReport, error: BaseException | None = None) -> None:
    """Put the finding and the test's journeys (and, on failure, its screenshot and trace) on its
    report."""
    journeys = [made for made in item.stash.get(JOURNEYS, []) if made.records]
    if report.when == "call":
        extras = []
        if report.failed:
            item.stash[FAILED] = True
            secrets: dict[str, Any] = item.config.stash.get(RUN_SECRETS, {})
            said = redact(finding(error), secrets) if error else ""
            if said:
                extras.append(_html('<p class="finding" style="white-space:pre-wrap;font-weight:bold;'
                                    f'color:#b00020">{html.escape(said)}</p>'))
                item.user_properties.append(("finding", said))
            if journeys and not any(made.failed() for made in journeys) and said:
                last = max(journeys, key=lambda made: made.ended)
                last.judged(invariant(item), said)
        for made in journeys:
            report.sections.append((f"journey {made.name}", made.report()))
            # JUnit XML takes properties from the teardown report, which copies the item's
            item.user_properties.append((f"journey {made.name}", made.report()))
        _add_extras(report, [*extras, *(_html(made.as_html()) for made in journeys)])
    elif report.when == "teardown" and item.stash.get(FAILED, False):
        _add_extras(report, _failure_artifacts(item, report))


def finding(error: BaseException) -> str:
    """What the check found, as its assertion says it: the message of an `assert`, without the
    explanation pytest appends from the line `assert ...`; other errors by type and first lines."""
    text = str(error).strip()
    if isinstance(error, AssertionError | pytest.fail.Exception):
        lines = text.splitlines()
        cut = next((at for at, line in enumerate(lines) if line.startswith("assert ")), len(lines))
        return "\n".join(lines[:cut]).strip() or (lines[0] if lines else type(error).__name__)
    head = [line for line in text.splitlines() if line.strip()][:3]
    return f"{type(error).__name__}: " + "\n".join(head) if head else type(error).__name__


def invariant(item: pytest.Item) -> str:
    """The test's name read as the invariant it checks: the name of its judgement's step."""
    name = getattr(item, "originalname", None) or item.name
    return name.removeprefix("test_").replace("_", " ")


def _html(content: str) -> Any:
    import pytest_html.extras

    return pytest_html.extras.html(content)


def _add_extras(report: pytest.TestReport, extras: list[Any]) -> None:
    if extras:
        report.extras = [*getattr(report, "extras", []), *extras]  # type: ignore[attr-defined]


def _failure_artifacts(item: pytest.Item, report: pytest.TestReport) -> list[Any]:
    """The screenshot (inline, after the journey) and a link to the trace pytest-playwright kept
    for this test, with the command that opens it; pytest-playwright's own media extras are
    dropped, since pytest-html shows media after every HTML extra."""
    report.extras = [extra for extra in getattr(report, "extras", [])  # type: ignore[attr-defined]
                     if extra.get("name") not in ("Screenshot", "Trace")]
    folder = _artifact_folder(item)
    if folder is None:
        return []
    extras: list[Any] = []
    for shot in sorted(folder.glob("*.png")):
        data = base64.b64encode(shot.read_bytes()).decode()
        extras.append(_html(f'<img class="screenshot" alt="{html.escape(shot.name)}" '
                            f'style="max-width:100%;max-height:420px;border:1px solid #ccc" '
                            f'src="data:image/png;base64,{data}">'))
    report_path = getattr(item.config.option, "htmlpath", None)
    for trace in sorted(folder.glob("trace*.zip")):
        where = os.path.relpath(trace, Path(report_path).resolve().parent) if report_path else str(trace)
        extras.append(_html(f'<p class="trace">trace: <a href="{html.escape(where)}">'
                            f"{html.escape(trace.name)}</a>; open it with "
                            f"<code>{html.escape(show_trace(str(trace)))}</code></p>"))
    return extras


def show_trace(path: str) -> str:
    return f"playwright show-trace {shlex.quote(path)}"


_FAILED_CALLS: dict[str, pytest.TestReport] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Under each failure in the terminal: the kept trace and the command that opens it.

    The trace is moved into place at teardown, after the call's report was made; the call's
    report is still waiting for the terminal's summary (and for pytest-html, which reads it at
    teardown), so the trace joins it as a section. This runs where the reports are shown: on
    xdist's controller, from the teardown report's properties."""
    if report.when == "call" and report.failed:
        _FAILED_CALLS[report.nodeid] = report
    elif report.when == "teardown" and (failed := _FAILED_CALLS.pop(report.nodeid, None)) is not None:
        traces = [str(value) for name, value in report.user_properties if name == TRACE]
        if traces:
            failed.sections.append(("trace", "\n".join(f"{path}\n  {show_trace(path)}" for path in traces)))


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """pytest-html's log of a failure (the traceback with the test's source and locals) folded
    away below the finding, the journey, the screenshot and the trace."""
    if report.failed and data:
        data[:] = ['<details class="pytest-log"><summary>pytest\'s traceback, source and captured '
                   "output</summary>" + "\n".join(data) + "</details>"]


def remember_output_path(request: pytest.FixtureRequest) -> None:
    """Where pytest-playwright keeps this test's trace and screenshot (its `output_path`)."""
    request.node.stash[OUTPUT_PATH] = Path(request.getfixturevalue("output_path"))


def _artifact_folder(item: pytest.Item) -> Path | None:
    folder = item.stash.get(OUTPUT_PATH, None)
    return folder if folder is not None and folder.is_dir() else None
