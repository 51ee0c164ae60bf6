"""The end of a run, said once: artifact seal and scan, waits and users, in one process.

Serially that process is the run itself. Under pytest-xdist the tests run in workers,
each with its own target, secrets, throwaway users and mail waits, and only the
controller sees the whole artifact folder and the terminal. Each worker hands its part
to the controller through xdist's `workeroutput` (a pipe between the two processes, never
a file); the controller merges the parts when each worker goes down, then seals, scans and
summarises exactly as a serial run does. So a secret only a worker knew (a sandbox it
started) still fails the whole run when a trace holds it.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from authprobe.errors import AuthprobeError
from authprobe.oracle.budgets import STEP_TIMES, StepTimes, budget_problems, distribution
from authprobe.plugin import suite_dir
from authprobe.plugin.runtime import RUN_SECRETS, USER_LEDGER
from authprobe.plugin.whole_target import remove_lock_files
from authprobe.profile import load_profile
from authprobe.provisioning.leftovers import cannot_remove, checks_making_users, unusable_channels
from authprobe.provisioning.users import LedgerEntry, UserLedger
from authprobe.scan import format_findings
from authprobe.security.artifacts import ArtifactDir
from authprobe.security.hygiene import run_secrets
from authprobe.settings import load_settings

WORKER_OUTPUT = "authprobe"


@dataclass
class RunTally:
    """What the summary counts: waits outside the browser, the run's users, its step times."""

    mail_waits: int = 0
    mail_seconds: float = 0.0
    no_mail_seconds: float = 0.0
    totp_seconds: float = 0.0
    text_waits: int = 0
    text_seconds: float = 0.0
    no_text_seconds: float = 0.0
    users: UserLedger = field(default_factory=UserLedger)
    step_times: StepTimes = field(default_factory=StepTimes)

    @classmethod
    def of_this_process(cls, config: pytest.Config) -> RunTally:
        from authprobe.oob.mail import MAIL_STATS
        from authprobe.oob.otp import LEDGER
        from authprobe.oob.sms import SMS_STATS

        return cls(MAIL_STATS.waits, MAIL_STATS.seconds, MAIL_STATS.absence_seconds,
                   LEDGER.seconds_waited, SMS_STATS.waits, SMS_STATS.seconds,
                   SMS_STATS.absence_seconds, config.stash.get(USER_LEDGER, UserLedger()),
                   STEP_TIMES)

    def add(self, part: dict[str, Any]) -> None:
        self.mail_waits += int(part["mail_waits"])
        self.mail_seconds += float(part["mail_seconds"])
        self.no_mail_seconds += float(part["no_mail_seconds"])
        self.totp_seconds += float(part["totp_seconds"])
        self.text_waits += int(part["text_waits"])
        self.text_seconds += float(part["text_seconds"])
        self.no_text_seconds += float(part["no_text_seconds"])
        self.users.entries.extend(LedgerEntry(**entry) for entry in part["users"])
        self.step_times.merge(part["step_times"])

    def as_part(self) -> dict[str, Any]:
        return {"mail_waits": self.mail_waits, "mail_seconds": self.mail_seconds,
                "no_mail_seconds": self.no_mail_seconds,
                "totp_seconds": self.totp_seconds, "text_waits": self.text_waits,
                "text_seconds": self.text_seconds, "no_text_seconds": self.no_text_seconds,
                "users": [asdict(entry) for entry in self.users.entries],
                "step_times": self.step_times.samples}

    def lines(self) -> list[str]:
        said: list[str] = []
        if self.mail_waits or self.totp_seconds:
            said.append(f"authprobe: waited {self.totp_seconds:.1f} s for TOTP windows; "
                        f"{self.mail_seconds:.1f} s for {self.mail_waits} mail(s); "
                        f"{self.no_mail_seconds:.1f} s making sure no mail came")
        if self.text_waits:
            said.append(f"authprobe: waited {self.text_seconds:.1f} s for {self.text_waits} text "
                        f"message(s); {self.no_text_seconds:.1f} s making sure no text came")
        if self.step_times.count():
            said.append("authprobe: step times: " + "; ".join(
                distribution(kind, seconds).line()
                for kind, seconds in sorted(self.step_times.samples.items())))
        if self.users.entries:
            said.append(self.users.summary())
            said.extend(f"  left on the target: {e.email} ({e.cleaned})" for e in self.users.left())
        return said


WORKERS_TALLY = pytest.StashKey[RunTally]()
ARTIFACTS = pytest.StashKey[ArtifactDir]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)  # after pytest-playwright and the session's teardown
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A worker hands its secrets and tally to the controller; the one process seals and scans."""
    config = session.config
    if is_worker(config):
        secrets = config.stash.get(RUN_SECRETS, {})
        config.workeroutput[WORKER_OUTPUT] = {  # type: ignore[attr-defined]
            "secrets": {name: value.get_secret_value() for name, value in secrets.items()},
            "tally": RunTally.of_this_process(config).as_part(),
            "artifacts": _artifacts_part(config.stash.get(ARTIFACTS, None)),
        }
        return
    remove_lock_files(config)
    seal_and_scan(session)
    judge_budgets(session)


def judge_budgets(session: pytest.Session) -> None:
    """A step kind over its budget across the run's samples fails the run, saying so."""
    config = session.config
    tally = config.stash.get(WORKERS_TALLY, None) or RunTally.of_this_process(config)
    if not tally.step_times.count():
        return
    try:
        budgets = load_profile(load_settings().target).budgets
    except AuthprobeError:
        return  # the run already stopped on its configuration, saying why
    problems = budget_problems(tally.step_times.samples, budgets)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    for problem in problems:
        write(f"authprobe: over budget: {problem} (profile [budgets])")
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: a worker finished; merge what it handed over."""
    part = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT)
    if part is None:
        return
    config = node.config
    secrets = config.stash.setdefault(RUN_SECRETS, {})
    for name, value in part["secrets"].items():
        known = secrets.get(name)
        if known is not None and known.get_secret_value() != value:
            name = f"{name} ({node.gateway.id})"
        secrets[name] = SecretStr(value)
    config.stash.setdefault(WORKERS_TALLY, RunTally()).add(part["tally"])
    if part.get("artifacts"):  # the folder refused a worker's copies: the controller says so
        code, said, lost = part["artifacts"]
        if ARTIFACTS not in config.stash:
            config.stash[ARTIFACTS] = ArtifactDir(Path(config.option.output))
        artifacts = config.stash[ARTIFACTS]
        artifacts.problem = artifacts.problem or OSError(code, said)
        artifacts.lost += lost


def _artifacts_part(artifacts: ArtifactDir | None) -> tuple[int, str, int] | None:
    """What a worker's artifact folder refused, as plain values for xdist's pipe."""
    if artifacts is None or artifacts.problem is None:
        return None
    return artifacts.problem.errno or 0, artifacts.problem.strerror or str(artifacts.problem), artifacts.lost


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Where the run's time went outside the browser, and the users it made: once per run."""
    config = terminalreporter.config
    if is_worker(config):
        return
    tally = config.stash.get(WORKERS_TALLY, None) or RunTally.of_this_process(config)
    for line in tally.lines():
        terminalreporter.write_line(line)
    if tally.users.left():  # last, set apart: leftovers must not drown in the lines above
        terminalreporter.write_sep("!", f"authprobe: {len(tally.users.left())} throwaway user(s) "
                                   "LEFT ON THE TARGET (listed above; `authprobe sweep` removes them "
                                   "once a channel can)", yellow=True, bold=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Before any check: the users this run will leave, when no channel can remove them."""
    if is_worker(config):
        return []
    try:
        settings = load_settings()
        profile = load_profile(settings.target)
    except AuthprobeError:
        return []  # the run stops on its configuration, saying why
    suites = [Path(arg.split("::")[0]) for arg in config.args]
    suites = [p for p in suites if p.exists()] or [p for p in [suite_dir()] if p is not None]
    estimate = sum(checks_making_users(p) if p.is_dir() else checks_making_users(p.parent, p.name)
                   for p in suites)
    said = cannot_remove(profile, estimate, unusable_channels(profile, settings))
    return [f"authprobe: {said}"] if said else []


def seal_and_scan(session: pytest.Session) -> None:
    """Seal the kept artifacts 0600 and scan them for the run's secrets; findings fail the run."""
    config = session.config
    artifacts = config.stash.get(ARTIFACTS, None)
    if artifacts is None and Path(config.option.output).is_dir():
        artifacts = ArtifactDir(Path(config.option.output))  # the controller ran no fixture
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    if artifacts is None:
        return
    if artifacts.problem is not None:  # said once, whatever the checks' verdicts
        write(f"authprobe: {artifacts.not_kept()}")
    if not artifacts.path.is_dir():
        return
    if not any(artifacts.path.iterdir()):
        with contextlib.suppress(OSError):  # nothing kept: leave nothing behind
            artifacts.path.rmdir()
        return
    artifacts.seal()
    secrets = config.stash.get(RUN_SECRETS, None)
    if not secrets:
        try:
            secrets = run_secrets(load_settings(), None)
        except AuthprobeError:
            secrets = {}
    findings = artifacts.scan(secrets)
    leaks = [f for f in findings if f.kind.startswith("secret")]
    shapes = len(findings) - len(leaks)
    if leaks:
        write(format_findings(leaks))
        write(f"authprobe: the run's secrets are in {len(leaks)} place(s) of the artifacts under "
              f"{artifacts.path}; do not publish them, and find what recorded them.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        write(f"authprobe: artifacts under {artifacts.path} scanned, none of the run's secrets found.")
    if shapes:
        # Traces hold the throwaway users' typed passwords and one-time links by design.
        write(f"authprobe: {shapes} other secret-like value(s) (throwaway passwords, session "
              f"cookies, one-time links) in the artifacts; `authprobe scan {artifacts.path}` lists them.")
