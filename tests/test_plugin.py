"""authprobe as a pytest plugin (entry point `pytest11: authprobe`).

A team's own test, in a folder of its own, gets the suite's fixtures and a browser pointed
at the target; somebody else's Playwright test in the same environment keeps
pytest-playwright's behaviour; the shipped suite runs by module name (`--pyargs`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

OWN_JOURNEY = """
    from authprobe.flows.session import sign_in, sign_out
    from authprobe.oracle.session import Expected


    def test_our_app_specific_journey(page, authprobe_profile, authprobe_users, authprobe_journey):
        user = authprobe_users.create(tag="own")
        trip = authprobe_journey(page, "our journey")
        with trip.step("sign in", Expected(authenticated=True, email=user.email)):
            assert sign_in(page, authprobe_profile, user.email, user.password).outcome == "signed_in"
        with trip.step("sign out", Expected(authenticated=False)):
            sign_out(page, authprobe_profile)
"""

FOREIGN_CONFTEST = """
    import shutil
    import pytest


    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        # their own set-up for this machine (no Playwright download here): the system Chromium
        return {**browser_type_launch_args, "executable_path": shutil.which("chromium"),
                "chromium_sandbox": False}
"""

FOREIGN = """
    import json, os


    def test_someone_elses_playwright_test(page):
        with open(os.environ["SEEN"], "w") as out:
            json.dump({"viewport": page.viewport_size, "url": page.url}, out)
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox()
    yield target
    target.stop()


def pytest_in(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "--browser", "chromium", "-p",
                           "no:cacheprovider", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=180)


def test_a_teams_own_journey_gets_the_fixtures_in_its_own_repository(
    sandbox: Target, tmp_path: Path
) -> None:
    repo = tmp_path / "their-repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "pytest.ini").write_text("[pytest]\nauthprobe = true\n")
    (repo / "tests" / "test_ours.py").write_text(dedent(OWN_JOURNEY))
    done = pytest_in(repo, suite_env_for(sandbox, tmp_path), "tests", "-v")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    assert "our journey: sign out" in done.stdout  # live steps of a -v run
    assert "throwaway user(s) created" in done.stdout  # the run's summary, from the plugin


def test_someone_elses_playwright_tests_keep_pytest_playwrights_behaviour(
    sandbox: Target, tmp_path: Path
) -> None:
    repo = tmp_path / "other-repo"
    repo.mkdir()
    (repo / "test_theirs.py").write_text(dedent(FOREIGN))
    (repo / "conftest.py").write_text(dedent(FOREIGN_CONFTEST))
    seen = tmp_path / "seen.json"
    env = suite_env_for(sandbox, tmp_path, SEEN=str(seen))
    done = pytest_in(repo, env, "test_theirs.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    recorded = json.loads(seen.read_text())
    assert recorded["viewport"] == {"width": 1280, "height": 720}, recorded  # Playwright's default
    assert "throwaway" not in done.stdout and "authprobe:" not in done.stdout, done.stdout


def test_the_shipped_suite_runs_by_module_name_from_any_folder(
    sandbox: Target, tmp_path: Path
) -> None:
    done = pytest_in(tmp_path, suite_env_for(sandbox, tmp_path), "--pyargs",
                     "authprobe.e2e.test_login", "-q")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout and "throwaway user(s) created" in done.stdout
