"""What a run says: failure reports with journeys, secrets redacted everywhere, one sentence
for the tool's own errors, and which artifacts are kept (E2E_KEEP_ARTIFACTS)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest

from authprobe.errors import (
    AuthprobeError,
    CheckFailed,
    MailConfigError,
    ServerUnreachable,
    SmsGatewayStalled,
    TargetThrottled,
)
from authprobe.junit import lead_with_findings
from authprobe.plugin.compare import record_in_junit
from authprobe.plugin.journeys import attach_journeys
from authprobe.plugin.run_end import ARTIFACTS
from authprobe.plugin.runtime import (
    BASE_URL,
    ENVIRONMENT_EXIT,
    PW_CONFIG,
    RUN_SECRETS,
    TRACE_WITHOUT_FILMSTRIP,
    remember_session,
    say,
    stop_after_check,
    worker_stopped_run,
)
from authprobe.security.artifacts import ArtifactDir
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
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, AuthprobeError) and not isinstance(error, CheckFailed):
        # one sentence, set before the report is logged (an xdist worker sends it on then)
        report.longrepr = f"{type(error).__name__}: {error}"
    attach_journeys(item, report, error)
    _redact_report(report, item.config.stash.get(RUN_SECRETS, {}))
    base_url = item.config.stash.get(BASE_URL, None)
    if report.failed and base_url and not item.session.shouldstop and not answers(base_url):
        # one sentence instead of every later test failing on a refused connection
        item.session.shouldstop = (
            f"authprobe: the target at {base_url} stopped answering during {item.nodeid}; "
            "the run stops here (users it could not remove are cleaned at the next run or by "
            "`authprobe sweep`)")
    return report


def interrupt_in(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C inside an exception group (nested ones too), if there is one."""
    if isinstance(error, KeyboardInterrupt):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := interrupt_in(inner)) is not None:
                return found
    return None


def _unwrap_interrupt() -> Any:
    """Ctrl-C stays Ctrl-C: pytest groups every error of a teardown (the interrupted admin call,
    then the browser contexts that went down with the driver) into one BaseExceptionGroup,
    which it reports as a test error, carrying on with the run and exiting 1. Re-raised alone,
    the KeyboardInterrupt ends the run as pytest ends an interrupted one: exit 2, no traceback
    unless --full-trace, the users still on the run's journal."""
    try:
        return (yield)
    except BaseExceptionGroup as group:
        interrupt = interrupt_in(group)
        if interrupt is None:
            raise
        raise interrupt from None


pytest_runtest_setup = pytest.hookimpl(wrapper=True, tryfirst=True)(_unwrap_interrupt)
pytest_runtest_call = pytest.hookimpl(wrapper=True, tryfirst=True)(_unwrap_interrupt)
pytest_runtest_teardown = pytest.hookimpl(wrapper=True, tryfirst=True)(_unwrap_interrupt)


ENVIRONMENT_STOP = pytest.StashKey[str]()


def pytest_sessionstart(session: pytest.Session) -> None:
    remember_session(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist's controller: a worker that stopped the run for an environment failure."""
    stopped = worker_stopped_run(node)
    if stopped is not None:
        node.config.stash.setdefault(ENVIRONMENT_STOP, stopped)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Any:
    """After Ctrl-C (or a second one during the session's teardown) the session's fixtures
    are still torn down, and what went down with the interrupt fails there: pytest would print
    that as a traceback and exit 1. The run stays interrupted (exit 2), in one line, unless
    --full-trace asks for the traceback."""
    if ENVIRONMENT_STOP in session.config.stash and session.exitstatus == pytest.ExitCode.INTERRUPTED:
        session.exitstatus = ENVIRONMENT_EXIT  # a worker stopped it: xdist reports an interruption
    try:
        outcome = yield
        _lead_junit_with_findings(session.config)
        record_in_junit(session.config)  # step times for the next night; compare.md beside it
        return outcome
    except BaseException as exc:  # noqa: BLE001 - re-raised unless the run was interrupted
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED or interrupt_in(exc) is not None
        if not interrupted or isinstance(exc, pytest.exit.Exception) or session.config.option.fulltrace:
            raise
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        while isinstance(exc, BaseExceptionGroup):  # the first thing that failed, not the group
            exc = exc.exceptions[0]
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and reporter._tw.width_of_current_line:  # noqa: SLF001 - after the dots
            reporter._tw.line()  # noqa: SLF001
        say(session.config, f"authprobe: interrupted; the teardown after it ended early ({first[:200]})")
        return None


def _lead_junit_with_findings(config: pytest.Config) -> None:
    """JUnit's failures open with the finding, the journey and the trace (pytest wrote the file
    in its own `pytest_sessionfinish`, inside this wrapper)."""
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath and not hasattr(config, "workerinput"):
        lead_with_findings(Path(xmlpath))


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
    if getattr(report, "extras", None):  # the HTML report's finding and journeys
        report.extras = [{**extra, "content": redact(extra["content"], secrets)}  # type: ignore[attr-defined]
                         if extra.get("format_type") == "html" else extra for extra in report.extras]


def pytest_exception_interact(node: Any, call: Any, report: Any) -> None:
    """A failure of a server every later check needs ends the run (the one sentence was set
    on the report by `pytest_runtest_makereport`)."""
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, MailConfigError | ServerUnreachable | SmsGatewayStalled | TargetThrottled):
        stop_after_check(error)  # every later check would wait on that server too (or be throttled as well),
        # so the run ends as an environment failure


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
    guard_artifact_writes()
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


def artifact_dir(config: pytest.Config) -> ArtifactDir:
    """The run's artifact folder (the session fixture makes it; a run that failed before it
    ran makes it here)."""
    if ARTIFACTS not in config.stash:
        config.stash[ARTIFACTS] = ArtifactDir(Path(config.option.output))
    return config.stash[ARTIFACTS]


def guard_artifact_writes() -> None:
    """A full or unwritable artifacts folder costs a check its artifacts, not its verdict.

    pytest-playwright moves each kept trace, screenshot and video into the folder in
    `ArtifactsRecorder.did_finish_test`; an OSError there (ENOSPC, EROFS, ENOTDIR) turns a
    passing check into an ERROR with a traceback and leaves the cut-off copy behind. It offers
    no hook around that move, so its method is wrapped once per process: the error is kept for
    the run's one sentence (src/authprobe/plugin/run_end.py) and the cut-off files removed."""
    from pytest_playwright.pytest_playwright import ArtifactsRecorder

    original = ArtifactsRecorder.did_finish_test
    if getattr(original, "authprobe_guarded", False):
        return

    def did_finish_test(self: Any, failed: bool) -> None:
        try:
            original(self, failed)
        except OSError as exc:
            self.finished = True
            artifact_dir(self._pytestconfig).failed_write(  # noqa: SLF001 - see the docstring
                exc, Path(self._output_path), [path for _kind, path in self.artifacts])  # noqa: SLF001

    did_finish_test.authprobe_guarded = True  # type: ignore[attr-defined]
    ArtifactsRecorder.did_finish_test = did_finish_test  # type: ignore[method-assign]
