"""Settings, profile and target: what the run is pointed at, preflighted before any browser.

settings (E2E_* and pytest's `--base-url`) → profile → target (a built-in one started
here, or E2E_BASE_URL), preflighted: a bad setting stops the run with one sentence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from authprobe.errors import AuthprobeError, ConfigError
from authprobe.pages import locator_problems
from authprobe.plugin.runtime import BASE_URL, RUN_SECRETS, stop_run
from authprobe.profile import TargetProfile, load_profile
from authprobe.security.hygiene import run_secrets
from authprobe.settings import Settings, load_settings
from authprobe.target.app import Target, preflight, resolve_target


def _base_url_option(config: pytest.Config) -> str | None:
    """pytest-playwright's `--base-url` (or the `base_url` ini value): the target's origin."""
    return config.getoption("--base-url", None) or config.getini("base_url") or None


@pytest.fixture(scope="session")
def authprobe_settings(pytestconfig: pytest.Config) -> Settings:
    try:
        return load_settings(_base_url_option(pytestconfig))
    except AuthprobeError as exc:
        stop_run(exc)
        raise


@pytest.fixture(scope="session")
def authprobe_profile(authprobe_settings: Settings) -> TargetProfile:
    try:
        loaded = load_profile(authprobe_settings.target)
    except AuthprobeError as exc:
        stop_run(exc)
        raise
    problems = locator_problems(loaded)
    if problems:
        stop_run(ConfigError(f"Target profile {loaded.name}: {'; '.join(problems)}; fix the profile."))
    return loaded


@pytest.fixture(scope="session")
def authprobe_target(
    request: pytest.FixtureRequest, authprobe_settings: Settings, authprobe_profile: TargetProfile
) -> Iterator[Target]:
    try:
        running = resolve_target(authprobe_settings, authprobe_profile)
    except AuthprobeError as exc:
        stop_run(exc)
        raise
    try:
        preflight(running, authprobe_profile, authprobe_settings.http_timeout)
    except AuthprobeError as exc:
        running.stop()
        stop_run(exc)
    request.config.stash[RUN_SECRETS].update(run_secrets(authprobe_settings, running))
    request.config.stash[BASE_URL] = running.base_url
    yield running
    running.stop()
