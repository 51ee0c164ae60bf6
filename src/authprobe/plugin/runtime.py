"""What the suite's plugin modules share: the browser config, stash keys, stopping and saying."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from authprobe.browser_config import load_browser_config
from authprobe.provisioning.screen import SignupChannel
from authprobe.provisioning.sweep import RunJournal
from authprobe.provisioning.users import UserLedger

PW_CONFIG = load_browser_config()
RUN_SECRETS = pytest.StashKey[dict[str, Any]]()
BASE_URL = pytest.StashKey[str]()
# traces recorded under E2E_KEEP_ARTIFACTS without the filmstrip (E2E_TRACE_SCREENSHOTS unset)
TRACE_WITHOUT_FILMSTRIP = pytest.StashKey[bool]()


ENVIRONMENT_EXIT = 3  # README: an environment or configuration failure
_WORKER_STOP = "authprobe_environment_stop"  # in an xdist worker's workeroutput
_SESSION: list[pytest.Session] = []  # the session of this process (set at its start)


def remember_session(session: pytest.Session) -> None:
    _SESSION[:] = [session]


def _stop_worker(error: Exception) -> bool:
    """In an xdist worker: stop after the check in flight, and tell the controller the run
    ended as an environment failure. `pytest.exit` there crashes the worker, and the
    controller then reports an INTERNALERROR naming the test instead of the sentence."""
    session = _SESSION[0] if _SESSION else None
    output = getattr(session.config, "workeroutput", None) if session is not None else None
    if session is None or output is None:
        return False
    output[_WORKER_STOP] = f"authprobe: {error}"
    session.shouldstop = session.shouldstop or f"authprobe: {error}"
    return True


def stop_run(error: Exception) -> None:
    """End the run with the error's one sentence, no traceback wall, exit 3. From a fixture:
    in an xdist worker the check in flight errors with the sentence and the run ends after it."""
    if _stop_worker(error):
        raise error
    pytest.exit(f"authprobe: {error}", returncode=ENVIRONMENT_EXIT)


def stop_after_check(error: Exception) -> None:
    """As `stop_run`, once a check already failed with `error` (from a reporting hook)."""
    if not _stop_worker(error):
        pytest.exit(f"authprobe: {error}", returncode=ENVIRONMENT_EXIT)


def worker_stopped_run(node: Any) -> str | None:
    """The sentence an xdist worker stopped the run with (controller side), if it did."""
    stopped = getattr(node, "workeroutput", {}).get(_WORKER_STOP)
    return stopped if isinstance(stopped, str) else None


USER_LEDGER = pytest.StashKey[UserLedger]()
SIGNUP = pytest.StashKey[SignupChannel]()
JOURNAL = pytest.StashKey[RunJournal | None]()


def say(config: pytest.Config, line: str) -> None:
    """A line on the terminal now, even from inside a fixture (where output is captured)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        (reporter.write_line if reporter is not None else print)(line)
