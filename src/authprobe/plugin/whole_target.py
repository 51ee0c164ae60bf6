"""Checks marked `whole_target` (a signing-key rotation signs everyone out) run alone when the
run's pytest-xdist workers share one target (src/authprobe/target/lock.py). A built-in target is
started per worker, so there nothing needs to wait."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from authprobe.errors import AuthprobeError
from authprobe.settings import Settings, load_settings
from authprobe.target.app import Target
from authprobe.target.lock import TargetLock


def name_the_run(config: pytest.Config) -> None:
    """The controller fixes xdist's run id (its own --testrunuid option), so that it and every
    worker name the same lock files."""
    if getattr(config.option, "numprocesses", None) and not getattr(config.option, "testrunuid", None):
        config.option.testrunuid = uuid.uuid4().hex


def lock_folder(settings: Settings) -> Path:
    return Path(settings.state_dir) / "locks"


def remove_lock_files(config: pytest.Config) -> None:
    run_id = getattr(config.option, "testrunuid", None)
    if not run_id:
        return
    try:
        folder = lock_folder(load_settings())
    except AuthprobeError:
        return  # the run stopped on its configuration before any worker locked anything
    if folder.is_dir():
        TargetLock(run_id, folder).remove()


@pytest.fixture(autouse=True)
def _authprobe_whole_target_checks_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is None:
        yield
        return
    target: Target = request.getfixturevalue("authprobe_target")
    if target.process is not None:  # this worker's own target
        yield
        return
    lock = TargetLock(workerinput["testrunuid"], lock_folder(request.getfixturevalue("authprobe_settings")))
    hold = lock.exclusive if request.node.get_closest_marker("whole_target") else lock.shared
    with hold():
        yield
