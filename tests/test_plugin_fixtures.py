"""authprobe's fixtures coexist with a team's own and with pytest-django's.

Every fixture the plugin gives is named `authprobe_…` and asks only for such names (and
pytest-playwright's), so a conftest's `settings`, `target` or `users`, or pytest-django's
`settings`, stays what a test gets, and authprobe's fixtures still get authprobe's values:
in an authprobe run and in any other. In-process (pytester) but for Django, whose settings
stay configured for the whole process once a run configured them; nothing here starts a target.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import authprobe.plugin.suite  # noqa: F401 - imported once here, so each inner run does not reimport the engine

THEIR_CONFTEST = """
    import pytest


    @pytest.fixture(scope="session")
    def settings():
        return "their settings"


    @pytest.fixture
    def target(settings):
        return f"their target ({settings})"


    @pytest.fixture
    def users():
        return ["their user"]
"""

THEIR_TESTS = """
    def test_their_fixtures_are_theirs(settings, target, users):
        assert (settings, target, users) == ("their settings", "their target (their settings)",
                                             ["their user"])
"""

BESIDE_AUTHPROBES = """
    from authprobe.profile import TargetProfile
    from authprobe.settings import Settings


    def test_authprobes_fixtures_get_authprobes_values(settings, users, authprobe_settings,
                                                       authprobe_profile):
        assert (settings, users) == ("their settings", ["their user"])
        assert isinstance(authprobe_settings, Settings)
        assert isinstance(authprobe_profile, TargetProfile) and authprobe_profile.name == "sandbox"
"""

DJANGO_SETTINGS = """
    SECRET_KEY = "a-test-of-the-fixtures-only"  # audit: allow (no app runs on it)  # pragma: allowlist secret
    INSTALLED_APPS = []
    USE_TZ = True
"""

PLAIN_DJANGO_TEST = """
    from django.conf import settings as django_settings


    def test_settings_is_pytest_djangos(settings):
        settings.SEEN_BY = "a plain test"
        assert django_settings.SEEN_BY == "a plain test", type(settings)
"""

DJANGO_BESIDE_AUTHPROBES = """
    from django.conf import settings as django_settings

    from authprobe.settings import Settings


    def test_both_settings(settings, authprobe_settings, authprobe_profile):
        settings.SEEN_BY = "a test with authprobe's fixtures too"
        assert django_settings.SEEN_BY == "a test with authprobe's fixtures too", type(settings)
        assert isinstance(authprobe_settings, Settings) and authprobe_profile.name == "sandbox"
"""


def run_with_django(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                    *args: str) -> pytest.RunResult:
    """A fresh interpreter: Django's settings, once configured, stay for the whole process."""
    pytester.makepyfile(djsettings=DJANGO_SETTINGS)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), os.environ.get("PYTHONPATH", "")]))
    return pytester.runpytest_subprocess("--ds=djsettings", "-p", "no:cacheprovider", *args, timeout=120)


@pytest.fixture
def quiet_authprobe_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """An authprobe run in this process leaves nothing behind: the sandbox profile whatever
    E2E_* this shell has, and the excepthook and Node's cache setting put back afterwards."""
    for name in [name for name in os.environ if name.startswith("E2E_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("E2E_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NODE_COMPILE_CACHE", str(tmp_path / "node-cache"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    yield


def test_their_settings_target_and_users_stay_theirs_outside_an_authprobe_run(
    pytester: pytest.Pytester, run_inprocess: Callable[..., pytest.RunResult],
) -> None:
    pytester.makeconftest(THEIR_CONFTEST)
    pytester.makepyfile(test_theirs=THEIR_TESTS)
    run_inprocess().assert_outcomes(passed=1)


def test_their_fixtures_and_authprobes_each_get_their_own_in_an_authprobe_run(
    pytester: pytest.Pytester, run_inprocess: Callable[..., pytest.RunResult], quiet_authprobe_run: None,
) -> None:
    pytester.makeconftest(THEIR_CONFTEST)
    pytester.makepyfile(test_theirs=THEIR_TESTS, test_beside=BESIDE_AUTHPROBES)
    done = run_inprocess("--authprobe")
    done.assert_outcomes(passed=2)


def test_pytest_djangos_settings_is_what_a_plain_test_gets_outside_an_authprobe_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("pytest_django")
    pytester.makepyfile(test_plain=PLAIN_DJANGO_TEST)
    run_with_django(pytester, monkeypatch).assert_outcomes(passed=1)


def test_pytest_djangos_settings_is_what_a_plain_test_gets_in_an_authprobe_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, quiet_authprobe_run: None,
) -> None:
    pytest.importorskip("pytest_django")
    pytester.makepyfile(test_plain=PLAIN_DJANGO_TEST, test_both=DJANGO_BESIDE_AUTHPROBES)
    run_with_django(pytester, monkeypatch, "--authprobe").assert_outcomes(passed=2)
