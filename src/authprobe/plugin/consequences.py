"""A failure that follows from an earlier finding of the same run says so.

Flows note what the app did that breaks later checks too (authprobe.flows.symptoms). The
first failing check that saw a symptom is its finding; a later failing check that saw it
gets a report section saying it is likely a consequence, so a reader fixes one cause, not
five failures. The symptoms travel on the report (`user_properties`), and the judging is
done where reports are logged: in a pytest-xdist run that is the controller, so a symptom
seen by one worker explains a failure on the other.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from authprobe.flows import symptoms

SEEN = pytest.StashKey[list[str]]()  # the current check's symptoms, over its phases
SYMPTOMS = "authprobe_symptoms"  # the report's user property carrying them (JSON)


def pytest_runtest_setup(item: pytest.Item) -> None:
    symptoms.take()  # anything left from code that ran between checks is not this check's
    item.stash[SEEN] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    seen = item.stash.setdefault(SEEN, [])
    seen.extend(s for s in symptoms.take() if s not in seen)
    if report.failed and seen:
        report.user_properties.append((SYMPTOMS, json.dumps(seen)))
    return report


@pytest.hookimpl(tryfirst=True)  # before the terminal reporter keeps the report
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    seen = [symptom for name, value in report.user_properties if name == SYMPTOMS
            for symptom in json.loads(str(value))]
    if report.failed and seen:
        explain(_FINDINGS, report.nodeid, seen, report)


_FINDINGS: dict[str, str] = {}  # symptom → the check that first failed with it (this process)


def pytest_sessionstart(session: pytest.Session) -> None:
    _FINDINGS.clear()


def explain(findings: dict[str, str], nodeid: str, seen: list[str], report: pytest.TestReport) -> None:
    """Record `nodeid` as the finding of each new symptom; add a section for the others."""
    earlier = []
    for symptom in seen:
        first = findings.setdefault(symptom, nodeid)
        if first != nodeid:
            earlier.append(f"likely a consequence of an earlier finding in this run ({first}: "
                           f"{symptom}); fix that first")
    if earlier:
        report.sections.append(("authprobe: earlier finding", "\n".join(earlier)))
