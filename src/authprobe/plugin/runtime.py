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


def stop_run(error: Exception) -> None:
    """End the run with the error's one sentence, no traceback wall."""
    pytest.exit(f"authprobe: {error}", returncode=3)


USER_LEDGER = pytest.StashKey[UserLedger]()
SIGNUP = pytest.StashKey[SignupChannel]()
JOURNAL = pytest.StashKey[RunJournal | None]()


def say(config: pytest.Config, line: str) -> None:
    """A line on the terminal now, even from inside a fixture (where output is captured)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        (reporter.write_line if reporter is not None else print)(line)
