"""What a run says: failure reports with journeys, secrets redacted everywhere, one sentence
for the tool's own errors, and which artifacts are kept (E2E_KEEP_ARTIFACTS)."""

from __future__ import annotations

import os
import shlex
from typing import Any

import pytest

from authprobe.errors import AuthprobeError, CheckFailed, MailConfigError
from authprobe.plugin.journeys import attach_journeys
from authprobe.plugin.runtime import BASE_URL, PW_CONFIG, RUN_SECRETS, TRACE_WITHOUT_FILMSTRIP, stop_run
from authprobe.security.hygiene import (
    RedactingStream,
    contains_secret,
    install_redacting_excepthook,
    redact,
)
from authprobe.settings import load_settings
from authprobe.target.app import answers


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
    """Errors the tool raises on purpose read as one sentence, not a traceback wall; a check
    failure stays pytest's assertion failure, with its evidence."""
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, AuthprobeError) and not isinstance(error, CheckFailed):
        report.longrepr = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"
    if isinstance(error, MailConfigError):  # the mailbox stalled or went away: every later
        stop_run(error)  # check would wait on it too, so the run ends as an environment failure


def _given(config: pytest.Config, flag: str) -> bool:
    """Whether the user set `flag`: on the command line, in PYTEST_ADDOPTS or in `addopts`."""
    args = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
            *config.getini("addopts")]
    return any(arg == flag or arg.startswith(flag + "=") for arg in args)


def redact_and_keep_artifacts(config: pytest.Config) -> None:
    """Redact everything pytest prints; traces and screenshots on failure only
    (E2E_KEEP_ARTIFACTS) where the user set no `--tracing`/`--screenshot`/`--output`.

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
        return  # the authprobe_settings fixture stops the run with the one-sentence error
    secrets.update(settings.secrets())
    tracing, screenshot = PW_CONFIG.ARTIFACT_MODES[settings.keep_artifacts]
    if not _given(config, "--tracing"):
        config.option.tracing = tracing
        # the filmstrip is a screencast of every test: a fifth of the suite's CPU, for frames
        # the DOM snapshots and the failure's screenshot already show
        config.stash[TRACE_WITHOUT_FILMSTRIP] = tracing != "off" and not settings.trace_screenshots
    if not _given(config, "--screenshot"):
        config.option.screenshot = screenshot
    if not _given(config, "--output"):
        config.option.output = settings.artifacts_dir
