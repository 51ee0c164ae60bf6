"""Night over night in the run itself (--compare-with PATH; authprobe/compare.py does the
comparing): tonight's outcomes and step times against earlier runs' JUnit, at the top of the
HTML report, as a short terminal block and as `compare.md` beside the run's JUnit (for the
CI summary). The run's step times also go into its JUnit, so the next night can compare.

Only the controller compares (under pytest-xdist it receives every worker's reports and
their step times); a comparison that cannot be made is one line, never a changed verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from authprobe.compare import (
    Comparison,
    Run,
    StepTime,
    add_step_properties,
    as_html,
    as_markdown,
    as_text,
    compare,
    node_to_check,
    read_history,
)
from authprobe.errors import AuthprobeError
from authprobe.oracle.budgets import distribution, over_budget
from authprobe.plugin.run_end import WORKERS_TALLY, RunTally, is_worker
from authprobe.profile import load_profile
from authprobe.settings import load_settings

RESULT = pytest.StashKey["Comparison | str | None"]()


def tonight(config: pytest.Config) -> Run:
    """Each check's outcome as JUnit records it (a failed set-up or teardown fails it), from the
    terminal reporter's tally, which under pytest-xdist holds every worker's reports."""
    run, findings = Run("this run"), dict[str, str]()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reports = [r for kind, said in (reporter.stats.items() if reporter is not None else [])
               for r in said if isinstance(r, pytest.TestReport) and kind != "deselected"]
    for report in reports:
        check = node_to_check(report.nodeid)
        found = [str(value) for name, value in report.user_properties if name == "finding"]
        if found:  # the plugin's finding (its first line, the sentence), on the reports after the failing one
            findings[check] = (found[0].strip().splitlines() or [""])[0]
        if report.failed:
            run.outcomes[check] = "failed"
            crash = str(getattr(getattr(report.longrepr, "reprcrash", None), "message", "") or "")
            run.messages.setdefault(check, (crash.splitlines() or [""])[0])
        elif report.skipped and run.outcomes.get(check) != "failed":
            run.outcomes[check] = "skipped"
        elif report.when == "call" and run.outcomes.get(check) != "failed":
            run.outcomes[check] = "passed"
    run.messages.update((check, said) for check, said in findings.items() if check in run.messages)
    return run


def step_times(config: pytest.Config) -> dict[str, StepTime]:
    """The run's step times per kind, judged against the profile's budgets as run_end judges them."""
    tally = config.stash.get(WORKERS_TALLY, None) or RunTally.of_this_process(config)
    if not tally.step_times.count():
        return {}
    try:
        budgets = load_profile(load_settings().target).budgets
    except AuthprobeError:
        return {}
    found = {}
    for kind, seconds in tally.step_times.samples.items():
        if seconds:
            seen = distribution(kind, seconds)
            budget = float(getattr(budgets, kind))
            found[kind] = StepTime(seen.median, seen.count, budget,
                                   over_budget(seen, budget, budgets.p95_factor) is not None)
    return found


def comparison(config: pytest.Config) -> Comparison | str | None:
    """Tonight against --compare-with (computed once): the comparison, a sentence why none, or
    None without --compare-with."""
    if RESULT in config.stash:
        return config.stash[RESULT]
    against = config.getoption("compare_with", None)
    result: Comparison | str | None = None
    if against:
        path = Path(against)
        if not path.exists():
            result = f"no earlier run at {path} yet; nothing to compare with"
        else:
            now = tonight(config)
            now.steps = step_times(config)
            try:
                result = compare(read_history(path), now)
            except AuthprobeError as exc:
                result = str(exc)
    config.stash[RESULT] = result
    return result


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    """The comparison opens the HTML report's summary."""
    result = comparison(session.config)
    if isinstance(result, Comparison):
        prefix.insert(0, as_html(result))


def record_in_junit(config: pytest.Config) -> None:
    """After pytest wrote the JUnit: the step times into it, compare.md beside it."""
    xmlpath = getattr(config.option, "xmlpath", None)
    if not xmlpath or is_worker(config):
        return
    junit = Path(xmlpath)
    add_step_properties(junit, step_times(config))
    result = comparison(config)
    if isinstance(result, Comparison):
        (junit.parent / "compare.md").write_text(as_markdown(result) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    config = terminalreporter.config
    if is_worker(config):
        return
    result = comparison(config)
    if isinstance(result, str):
        terminalreporter.write_line(f"authprobe: night over night: {result}")
    elif result is not None:
        for line in as_text(result):
            terminalreporter.write_line(line)
