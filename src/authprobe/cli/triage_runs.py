"""What `authprobe triage` does (authprobe/cli/triage.py): re-run each failed check in fresh
browsers and say what kind of failure it is.

A failed auth check is one of three things, and each asks for different work:
- deterministic: it fails every time; a bug to fix (or an honest profile entry);
- flaky: it passed at least once on a re-run; in auth flows that is a race (two sign-ins
  sharing state, a token written after it is read) and a finding in its own right, reported
  as "possible race in …" and never turned green by the re-runs;
- environment: the run could not reach the target or its mail (a stop before any test, a
  wait for mail or a page that ran out); nothing is known about the app.

Each attempt is its own pytest process (a fresh browser, fresh contexts, fresh users) with
Playwright's trace on, kept under `<output>/triage/<test>/attempt-N`, so a flaky check comes
with the trace of a failing and of a passing attempt to open side by side.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from slugify import slugify

from authprobe.compare import mark_flaky, node_to_check
from authprobe.junit import failures, stop_reason
from authprobe.security.artifacts import make_private_dir

# failures that say the target or its mail did not answer, not that the app misbehaved
ENVIRONMENT = re.compile(r"WaitTimeout|MailConfigError|ConfigError|ECONNREFUSED|net::ERR_|"
                         r"TargetClosedError|no mail .* arrived|not reachable")
ATTEMPT_TIMEOUT_S = 600


@dataclass(frozen=True)
class Attempt:
    outcome: str  # passed | failed | environment
    message: str
    trace: Path | None


@dataclass
class Triage:
    test: str
    first_failure: str
    attempts: list[Attempt] = field(default_factory=list)
    first_trace: Path | None = None  # the failing first run's, when triage ran it

    @property
    def verdict(self) -> str:
        judged = [a for a in self.attempts if a.outcome != "environment"]
        if ENVIRONMENT.search(self.first_failure) and not any(a.outcome == "passed" for a in judged):
            return "environment"
        if not judged:
            return "environment"
        if any(a.outcome == "passed" for a in judged):
            return "flaky"
        return "deterministic"

    def lines(self) -> list[str]:
        passed = sum(a.outcome == "passed" for a in self.attempts)
        said = [f"{self.verdict.upper():<13} {self.test}: passed {passed} of {len(self.attempts)} "
                f"re-run(s); first failure: {self.first_failure}"]
        if self.verdict == "flaky":
            said.append(f"  possible race in {self.test}: it fails and passes on the same target")
        failing = next((a.trace for a in self.attempts if a.outcome == "failed" and a.trace),
                       self.first_trace)
        passing = next((a.trace for a in self.attempts if a.outcome == "passed" and a.trace), None)
        for label, trace in (("failing attempt", failing), ("passing attempt", passing)):
            if trace is not None:
                said.append(f"  {label}: playwright show-trace {trace}")
        return said


def _kept_trace(output: Path, test: str) -> Path | None:
    """The trace pytest-playwright kept for a failed `test` under `output` (its folder naming)."""
    return next(iter(sorted((output / slugify(test)).glob("trace*.zip"))), None)


def _pytest(args: list[str], output: Path, junit: Path) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", *args, "-p", "no:randomly", "-p", "no:cacheprovider",
               "--junitxml", str(junit), "--output", str(output)]
    done = subprocess.run(command, cwd=os.getcwd(), capture_output=True, text=True,
                          timeout=ATTEMPT_TIMEOUT_S)
    return done.returncode, done.stdout + done.stderr


def attempt(test: str, browser: str, folder: Path) -> Attempt:
    """One fresh run of `test` with its trace kept."""
    junit = folder / "junit.xml"
    code, output = _pytest([test, "--browser", browser, "-q", "--tracing", "on"], folder / "artifacts",
                           junit)
    trace = next(iter(sorted((folder / "artifacts").rglob("trace*.zip"))), None)  # one per context
    if code == 0:
        return Attempt("passed", "", trace)
    failed = failures(junit)
    if code != 1 or not failed:
        return Attempt("environment", stop_reason(code, output), trace)
    message = failed[0][1]
    return Attempt("environment" if ENVIRONMENT.search(message) else "failed", message, trace)


def triage_command(selection: list[str], runs: int, junit: Path | None, browser: str,
                   output: Path) -> int:
    """Exit 0: nothing failed; 1: a deterministic or flaky failure; 3: only environment errors."""
    if junit is not None:
        if not junit.is_file():
            print(f"authprobe triage: {junit} does not exist; pass the JUnit XML of a run "
                  "(pytest --junitxml PATH).", file=sys.stderr)
            return 2
        failed = failures(junit)
    else:
        with tempfile.TemporaryDirectory(prefix="authprobe-triage-") as scratch:
            first = Path(scratch) / "junit.xml"
            print(f"authprobe triage: running {' '.join(selection) or 'e2e/'} once", flush=True)
            code, said = _pytest([*(selection or ["e2e/"]), "--browser", browser, "-q"],
                                 output / "first-run", first)
            failed = failures(first)
            if code not in (0, 1) or (code == 1 and not failed):
                print(f"authprobe triage: the run stopped before any check could fail "
                      f"({stop_reason(code, said)}); that is an environment error.", flush=True)
                return 3
    if not failed:
        print("authprobe triage: no failed check to triage.")
        return 0
    first_run = output / "first-run" if junit is None else None
    make_private_dir(output / "triage")  # traces hold the throwaway users' typed passwords
    results = []
    for test, message in failed:
        result = Triage(test, message,
                        first_trace=_kept_trace(first_run, test) if first_run is not None else None)
        for number in range(1, runs + 1):
            folder = output / "triage" / slugify(test) / f"attempt-{number}"
            folder.mkdir(parents=True, exist_ok=True)
            result.attempts.append(attempt(test, browser, folder))
            print(f"  {test} re-run {number}/{runs}: {result.attempts[-1].outcome}", flush=True)
        results.append(result)
    for result in results:
        for line in result.lines():
            print(line)
    if junit is not None:  # the nights after this one count these as flipping (authprobe compare)
        mark_flaky(junit, [node_to_check(result.test) for result in results if result.verdict == "flaky"])
    verdicts = {result.verdict for result in results}
    counts = ", ".join(f"{sum(r.verdict == v for r in results)} {v}"
                       for v in ("deterministic", "flaky", "environment"))
    print(f"authprobe triage: {len(results)} failed check(s): {counts}")
    return 1 if verdicts & {"deterministic", "flaky"} else 3
