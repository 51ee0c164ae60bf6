"""`authprobe mutants`: prove the unchanged e2e suite catches every seeded sandbox defect.

The suite runs once against a clean sandbox (it must pass, or no result means anything),
then once per defect against a fresh sandbox started with `--defect NAME`. A defect counts
as caught only when a test of that real run fails; a run that stops for any other reason
(sandbox did not start, collection error, configuration stop) is an error, never a catch.

Like mutation tools, it remembers which test caught each defect (bench/mutants-order.json,
or AUTHPROBE_MUTANTS_ORDER) and runs that test first with `-x`, so a caught defect costs
one test instead of the whole suite. This is the one module outside sandbox/ that knows
defect names.

A `Plan` can point every run at a shape of the sandbox (`--target targets/shapes/realtime.toml`)
and hand pytest more arguments (`-- -m expiry --realtime-max 2m`): the matrix of the real-time
lane. Only the plain matrix (the sandbox, the whole suite) writes what it learnt to the memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

from authprobe.errors import ConfigError, UnknownDefectError
from authprobe.junit import failures
from authprobe.junit import passed as passed_tests
from authprobe.junit import skipped as skipped_tests
from authprobe.junit import stop_reason as _stop_reason
from authprobe.plugin.realtime import check_of
from authprobe.resources import suite_root
from authprobe.sandbox.defects import CATALOGUE, validate_defects
from authprobe.selftest.mutants_plugin import FIRST_TESTS_ENV

ROOT = suite_root()  # in a clone, the repository: the suite runs as `pytest e2e/` there
ORDER_ENV = "AUTHPROBE_MUTANTS_ORDER"
DEFAULT_ORDER_FILE = ROOT / "bench" / "mutants-order.json"
# a clean run takes 2-3 min; a defect can turn every mail wait into a 30 s timeout
RUN_TIMEOUT_S = 20 * 60
MESSAGE_WIDTH = 64

Outcome = Literal["passed", "failed", "error"]

# runs in flight, so Ctrl-C can end them: they sit in their own sessions, out of SIGINT's reach
_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class SuiteRun:
    """One pytest run of the e2e suite against one sandbox."""

    defect: str | None
    outcome: Outcome
    test: str | None
    message: str
    seconds: float
    failed: tuple[str, ...] = ()  # every failing node id (one with -x); for the flakiness bench
    skipped: tuple[str, ...] = ()  # a clean run's skips: a check that skips catches nothing
    passed: tuple[str, ...] = ()  # a clean run's passes: what a catch by these tests needs

    @property
    def verdict(self) -> str:
        if self.defect is None:
            return {"passed": "green", "failed": "FAILED", "error": "error"}[self.outcome]
        return {"passed": "ESCAPED", "failed": "caught", "error": "error"}[self.outcome]

    def as_dict(self) -> dict[str, object]:
        fields = {key: value for key, value in asdict(self).items() if key not in ("failed", "passed")}
        fields["skipped"] = list(self.skipped)
        return {**fields, "seconds": round(self.seconds, 1), "result": self.verdict}


# ---------------------------------------------------------------- one suite run


@dataclass(frozen=True)
class Plan:
    """What every run of one matrix shares: the sandbox's profile (the built-in one or a shape
    of it, a path) and further pytest arguments (a selection, the real-time lane's limit)."""

    target: str = "sandbox"
    pytest_args: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        """The suite's own matrix: the one bench/mutants-order.json remembers."""
        return self.target == "sandbox" and not self.pytest_args


PLAIN = Plan()


def needs_idp(defect: str | None, tests: list[str] | None) -> bool:
    """Whether the run needs the sandbox's identity provider: the clean run of the whole suite,
    a seeded SSO defect, or a check of sign-in through it. The rest start without it (--no-idp),
    a second less per sandbox; an sso check in such a run skips, it never passes."""
    if defect is None and not tests:
        return True
    return (defect or "").startswith("sso_") or any("test_sso" in test for test in tests or [])


def run_suite(defect: str | None, first: list[str], *, stop_first: bool = True,
              timeout_s: float = RUN_TIMEOUT_S, tests: list[str] | None = None,
              workers: int = 1, plan: Plan = PLAIN) -> SuiteRun:
    """Run the unchanged suite (or just `tests`) against a fresh sandbox, `defect` seeded if any;
    `workers` > 1: with pytest-xdist (the clean run, while nothing else runs)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="authprobe-mutant-") as scratch:
        work = Path(scratch)
        junit = work / "junit.xml"
        env = {
            **os.environ,
            "E2E_TARGET": plan.target,
            "E2E_BASE_URL": "null",  # settings.UNSET: beats a .env pointing at staging; must be the sandbox
            "E2E_SANDBOX_ARGS": " ".join([*(["--defect", defect] if defect else []),
                                          *([] if needs_idp(defect, tests) else ["--no-idp"])]),
            "E2E_ARTIFACTS_DIR": str(work / "artifacts"),
            # a verdict needs no trace, and recording one is a third of a run's time
            "E2E_KEEP_ARTIFACTS": os.environ.get("E2E_KEEP_ARTIFACTS") or "never",
            FIRST_TESTS_ENV: "\n".join(first),
        }
        command = [sys.executable, "-m", "pytest", *(tests or ["e2e/"]), *plan.pytest_args,
                   "--browser", "chromium", "-q",
                   *(["-x"] if stop_first else []), *(["-n", str(workers)] if workers > 1 else []),
                   "-p", "no:cacheprovider",
                   "-p", "authprobe.selftest.mutants_plugin",
                   "--junitxml", str(junit), "--output", str(work / "test-results")]
        # own session: a timeout kills pytest, its sandbox and its browsers together
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(process)
        try:
            output, _ = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            return SuiteRun(defect, "error", None, f"timed out after {timeout_s:.0f} s",
                            time.monotonic() - started)
        except KeyboardInterrupt:
            _kill_group(process)
            raise
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(process)
        seconds = time.monotonic() - started
        if process.returncode == 0:
            return _green(defect, junit, seconds)
        # a real-time arm that fails is its check failing: the check is what a confirmation runs
        failed = [(check_of(node), line) for node, line in failures(junit)] if process.returncode == 1 else []
        if not failed:
            return SuiteRun(defect, "error", None, _stop_reason(process.returncode, output), seconds)
        return SuiteRun(defect, "failed", failed[0][0], failed[0][1], seconds,
                        tuple(node for node, _ in failed))


def _green(defect: str | None, junit: Path, seconds: float, message: str = "") -> SuiteRun:
    """A run with no failure, with what it passed and skipped (a real-time arm as its check)."""
    return SuiteRun(defect, "passed", None, message, seconds,
                    skipped=tuple(check_of(node) for node in skipped_tests(junit)),
                    passed=tuple(check_of(node) for node in passed_tests(junit)))


def clean_from_junit(junit: Path) -> SuiteRun:
    """The clean run as an earlier run's JUnit says (`--clean-junit`: the suite CI has just run
    against the clean sandbox), instead of running it again."""
    failed = failures(junit)
    if failed:
        node, line = failed[0]
        return SuiteRun(None, "failed", check_of(node), line, 0.0, tuple(node for node, _ in failed))
    try:
        suites = ET.parse(junit).getroot().iter("testsuite")
        seconds = sum(float(suite.get("time") or 0) for suite in suites)
    except (OSError, ET.ParseError, ValueError):
        seconds = 0.0
    run = _green(None, junit, seconds, f"from {junit}, not run again")
    if not run.passed:
        raise ConfigError(f"--clean-junit {junit} is not the JUnit XML of a run that passed any "
                          "check; give the --junitxml file of the e2e suite's run against the "
                          "clean sandbox.")
    return run


def confirmed_run(defect: str, first: list[str], plan: Plan = PLAIN) -> SuiteRun:
    """A catch counts only if the catching test passes on the clean app (flaky tests don't catch).

    If it fails on the clean sandbox too, the defect run is repeated once; a catch that still
    cannot be confirmed is reported as an error, never as caught.
    """
    run = run_suite(defect, first, plan=plan)
    for _ in range(2):
        if run.outcome != "failed" or run.test is None:
            return run
        check = run_suite(None, [], tests=[run.test], plan=plan)
        if check.outcome == "passed":
            return run
        flaky = run.test
        run = run_suite(defect, [test for test in first if test != flaky], plan=plan)
    return replace(run, outcome="error",
                   message=f"unconfirmed: {run.test} also failed on the clean sandbox (flaky)")


def passed_clean(clean: SuiteRun) -> Callable[[str], bool]:
    """Whether a check passed in the green clean run (a real-time check: none of its arms
    skipped)."""
    passed = set(clean.passed) - set(clean.skipped)
    return lambda test: test in passed


def confirm_catches(runs: list[SuiteRun], jobs: int, memory: dict[str, str], plan: Plan = PLAIN,
                    already: Callable[[str], bool] = lambda test: False) -> list[SuiteRun]:
    """As `confirmed_run`, for a whole matrix at once: every catching test that has not passed on
    a clean sandbox yet (`already`: the clean run's) runs once, together, on one clean sandbox
    (one start instead of one per defect); only a catch whose test fails there too goes through
    `confirmed_run`, which repeats its defect run without that test."""
    caught = sorted({run.test for run in runs if run.outcome == "failed" and run.test
                     and not already(run.test)})
    if not caught:
        return runs
    check = run_suite(None, [], tests=caught, stop_first=False, workers=jobs, plan=plan)
    failing = set(caught) if check.outcome == "error" else set(check.failed)
    return [confirmed_run(run.defect, first_tests(run.defect, memory), plan)
            if run.defect is not None and run.test in failing else run for run in runs]


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _kill_live() -> None:
    """Ctrl-C arrives in the main thread only: end the runs the worker threads wait on."""
    with _LIVE_LOCK:
        for process in _LIVE:
            _kill_group(process)


# ---------------------------------------------------------------- prioritisation memory


def order_file() -> Path:
    return Path(os.environ.get(ORDER_ENV) or DEFAULT_ORDER_FILE)


def load_order(path: Path) -> dict[str, str]:
    """Which test caught each defect last time; an unreadable file just means no memory."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(name): str(test) for name, test in data.items() if isinstance(test, str)}


def first_tests(defect: str, memory: dict[str, str]) -> list[str]:
    """This defect's last catcher, then the tests that caught most other defects."""
    popular = [test for test, _ in Counter(memory.values()).most_common()]
    own = [memory[defect]] if defect in memory else []
    return list(dict.fromkeys(own + popular))


def updated_order(memory: dict[str, str], runs: list[SuiteRun]) -> dict[str, str]:
    """Caught → remember the catcher; escaped → forget; error → keep what we knew."""
    result = dict(memory)
    for run in runs:
        if run.defect is None:
            continue
        if run.outcome == "failed" and run.test:
            result[run.defect] = run.test
        elif run.outcome == "passed":
            result.pop(run.defect, None)
    return dict(sorted(result.items()))


# ---------------------------------------------------------------- output


def _trim(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _short_test(node_id: str | None) -> str:
    """The table's form of a node id: the e2e/ prefix and browser parameter add nothing there."""
    if not node_id:
        return "-"
    return node_id.removeprefix("e2e/").removesuffix("[chromium]")


def _short_message(message: str) -> str:
    return _trim(message.removeprefix("AssertionError: "), MESSAGE_WIDTH) or "-"


def render_table(clean: SuiteRun, runs: list[SuiteRun], total_s: float) -> str:
    rows = [("defect", "result", "first failing test", "first line of the failure", "s")]
    for run in runs:
        rows.append((run.defect or "", run.verdict, _short_test(run.test),
                     _short_message(run.message), f"{run.seconds:.0f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = ["  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])),
                        row[4].rjust(widths[4])]).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    caught = sum(run.outcome == "failed" for run in runs)
    clean_note = f" ({_short_test(clean.test)}: {_short_message(clean.message)})" if clean.test else (
        f" ({clean.message})" if clean.message else "")
    lines += ["", f"caught {caught}/{len(runs)}",
              f"clean run: {clean.verdict}{clean_note}, {clean.seconds:.0f} s",
              f"total: {total_s:.0f} s"]
    return "\n".join(lines)


def _progress(done: int, total: int, run: SuiteRun) -> None:
    """One stderr line per finished run, so a long matrix shows what it found as it goes."""
    detail = f" {_short_test(run.test)}: {_short_message(run.message)}" if run.test else (
        f" {run.message}" if run.message else "")
    print(f"[{done}/{total}] {run.defect or 'clean'}: {run.verdict} ({run.seconds:.0f} s){detail}",
          file=sys.stderr, flush=True)


class Progress:
    """A line on stderr from the first second and every `every_s` after: elapsed, runs done,
    and an estimate of what is left (per run: the mean of finished defect runs, or the clean
    run's time until one has finished), so a long matrix never looks hung."""

    def __init__(self, total: int, jobs: int, write: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, every_s: float = 15.0,
                 clean_first: str = "the clean suite") -> None:
        self.total, self.jobs, self.every_s = total, max(jobs, 1), every_s
        self.clean_first = clean_first
        self._write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self._clock = clock
        self._started = clock()
        self._clean_s: float | None = None
        self._done: list[float] = []
        self._confirming: int | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self) -> None:
        self._write(f"authprobe mutants: {self.clean_first} first, then {self.total} defect(s) on "
                    f"{self.jobs} job(s); a line every {self.every_s:g} s")
        self._ticker = threading.Thread(target=self._tick, daemon=True, name="mutants-progress")
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()

    def clean_done(self, seconds: float) -> None:
        self._clean_s = seconds

    def defect_done(self, seconds: float) -> None:
        self._done.append(seconds)

    def confirming(self, tests: int) -> None:
        self._confirming = tests

    def line(self) -> str:
        elapsed = self._clock() - self._started
        if self._clean_s is None:
            return f"[{_clock_time(elapsed)}] clean run in progress; {self.total} defect(s) after it"
        if self._confirming is not None:
            return (f"[{_clock_time(elapsed)}] {self.total}/{self.total} defect(s) done; confirming "
                    f"the {self._confirming} catching test(s) on one clean sandbox")
        per_run = statistics.mean(self._done) if self._done else self._clean_s
        left = (self.total - len(self._done)) * per_run / self.jobs
        return (f"[{_clock_time(elapsed)}] {len(self._done)}/{self.total} defect(s) done; "
                f"about {_clock_time(left)} left")

    def _tick(self) -> None:
        while not self._stop.wait(self.every_s):
            self._write(self.line())


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


# ---------------------------------------------------------------- command


def clean_selection(only: list[str] | None, memory: dict[str, str], plan: Plan) -> tuple[list[str], str]:
    """The clean run's tests and why: with --only, just the checks that caught the chosen
    defects last time, when each has one and the plan adds no selection of its own."""
    if not only:
        return [], "the whole suite"
    if plan.pytest_args:
        return [], "the tests your pytest arguments select"
    unknown = [name for name in only if name not in memory]
    if unknown:
        return [], f"the whole suite: no test is remembered as catching {', '.join(unknown)}"
    tests = sorted({memory[name] for name in only})
    return tests, f"only the {len(tests)} test(s) that caught the chosen defect(s) last time"


def _run_matrix(defects: list[str], jobs: int, progress: Progress, plan: Plan = PLAIN,
                only: list[str] | None = None,
                clean_junit: Path | None = None) -> tuple[SuiteRun, list[SuiteRun]]:
    """The clean run (or an earlier one's JUnit), then (only if it is green) each defect; runs in
    catalogue order."""
    path = order_file()
    memory = load_order(path)
    if clean_junit is not None:
        clean = clean_from_junit(clean_junit)
        print(f"[clean] from {clean_junit}: {len(clean.passed)} passed, {len(clean.skipped)} "
              "skipped (not run again)", file=sys.stderr, flush=True)
    else:
        tests, why = clean_selection(only, memory, plan)
        print(f"[clean] {why}", file=sys.stderr, flush=True)
        clean = run_suite(None, [], workers=jobs, tests=tests or None, plan=plan)
    _progress(0, len(defects), clean)
    runs: list[SuiteRun] = []
    if clean.outcome == "passed":
        progress.clean_done(clean.seconds)

        def remember() -> None:  # saved as it goes: an interrupted matrix still speeds up the next
            if plan.plain:
                path.write_text(json.dumps(updated_order(memory, runs), indent=2) + "\n", encoding="utf-8")

        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            futures = [pool.submit(run_suite, name, first_tests(name, memory), plan=plan) for name in defects]
            for done, future in enumerate(as_completed(futures), start=1):
                runs.append(future.result())
                progress.defect_done(runs[-1].seconds)
                _progress(done, len(defects), runs[-1])
                remember()
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            _kill_live()
            raise
        pool.shutdown()
        already = passed_clean(clean)
        caught = len({run.test for run in runs if run.outcome == "failed" and not already(run.test or "")})
        if caught:
            print(f"[confirm] the {caught} catching test(s) the clean run did not pass, on one clean "
                  "sandbox", file=sys.stderr, flush=True)
            progress.confirming(caught)
        runs[:] = confirm_catches(runs, jobs, memory, plan, already)
        remember()
        runs.sort(key=lambda run: defects.index(run.defect or ""))
    return clean, runs


def mutants_command(*, list_only: bool, only: list[str] | None, as_json: bool, jobs: int,
                    plan: Plan = PLAIN, clean_junit: Path | None = None) -> int:
    """Entry point of `authprobe mutants`; exit 0 only if clean is green and nothing escaped."""
    if list_only:
        width = max(len(name) for name in CATALOGUE)
        for name, bug in CATALOGUE.items():
            print(f"{name.ljust(width)}  {bug}")
        return 0
    try:
        chosen = validate_defects(only or CATALOGUE)
    except UnknownDefectError as exc:
        print(f"authprobe: {exc}", file=sys.stderr)
        return 2
    if jobs < 1:
        print("authprobe: --jobs must be at least 1.", file=sys.stderr)
        return 2
    defects = [name for name in CATALOGUE if name in chosen]

    started = time.monotonic()
    progress = Progress(len(defects), jobs, clean_first="the clean suite" if clean_junit is None
                        else f"the clean run's JUnit ({clean_junit})")
    progress.start()
    try:
        clean, runs = _run_matrix(defects, jobs, progress, plan, only, clean_junit)
    except ConfigError as exc:
        print(f"authprobe: {exc}", file=sys.stderr)
        return 2
    finally:
        progress.stop()
    total_s = time.monotonic() - started

    caught = sum(run.outcome == "failed" for run in runs)
    if as_json:
        print(json.dumps({"clean": clean.as_dict(), "defects": [run.as_dict() for run in runs],
                          "caught": caught, "total": len(defects), "jobs": jobs,
                          "seconds": round(total_s, 1)}, indent=2))
    elif clean.outcome != "passed":
        print(f"The clean run is {clean.verdict} ({clean.test or '-'}: {clean.message}); "
              "defects were not run, since a catch would mean nothing. Fix the clean run first.")
    else:
        print(render_table(clean, runs, total_s))
    return 0 if clean.outcome == "passed" and caught == len(defects) else 1
