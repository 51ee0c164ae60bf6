"""From a wheel, inside a team's own repository: install, init, doctor, run the shipped suite.

A team's repository already has what authprobe's own does: `pages/` with page objects,
`flows/`, an `e2e/` package whose files share names with authprobe's checks, a conftest with
`settings`, `target` and `users` fixtures, `pythonpath = .`, pytest-django and its Django
settings, and a Playwright test of its own. Its tests run in a fresh virtualenv before and
after `pip install` of the wheel built from this repository and must give the same result;
then `authprobe run` from that repository passes against the sandbox. Then the user's story
of issue 12 in the same environment: `authprobe init`, the profile filled in for the
Flask-Security-Too target started by `authprobe serve flask-security`, `authprobe doctor`
green, the shipped suite run against it. Minutes (it installs every dependency, from pip's
cache where it can): the `whole_runs` job of .ci/run.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import selectors
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from textwrap import dedent

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.whole_runs


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _ready_line(process: subprocess.Popen[str], timeout_s: float = 60) -> dict[str, object]:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends and selector.select(timeout=ends - time.monotonic()):
        line = process.stdout.readline()
        if line.startswith("{"):
            ready: dict[str, object] = json.loads(line)
            return ready
    raise AssertionError("authprobe serve flask-security printed no ready line")


TEAM_REPOSITORY = {
    "pytest.ini": """
        [pytest]
        pythonpath = .
        testpaths = e2e unit
        DJANGO_SETTINGS_MODULE = teamsite.settings
        addopts = -p no:cacheprovider
        """,
    "teamsite/__init__.py": "",
    "teamsite/settings.py": """
        SECRET_KEY = "team-test-only"  # pragma: allowlist secret
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        GREETING = "hello"
        """,
    "pages/__init__.py": "",
    "pages/account.py": """
        class AccountPage:
            heading = "Your account"

            def __init__(self, page):
                self.page = page
        """,
    "pages/login.py": """
        from pages.account import AccountPage


        class LoginPage:
            def __init__(self, page):
                self.page = page

            def sign_in(self, email):
                self.page.set_content(f"<h1>{AccountPage.heading}</h1><p>{email}</p>")
                return AccountPage(self.page)
        """,
    "flows/__init__.py": "",
    "flows/login.py": """
        from pages.login import LoginPage


        def sign_in(page, email):
            return LoginPage(page).sign_in(email)
        """,
    "e2e/__init__.py": "",
    "e2e/conftest.py": """
        import shutil

        import pytest


        @pytest.fixture
        def settings():
            return {"base_url": "http://team.invalid", "who": "team settings"}


        @pytest.fixture
        def target(settings):
            return {"name": "team target", "url": settings["base_url"]}


        @pytest.fixture
        def users():
            return ["ada@team.invalid", "grace@team.invalid"]


        @pytest.fixture(scope="session")
        def browser_type_launch_args(browser_type_launch_args):
            # the team's own set-up for a machine without Playwright's download: the system Chromium
            return {**browser_type_launch_args, "executable_path": shutil.which("chromium"),
                    "chromium_sandbox": False}
        """,
    "e2e/test_login.py": """
        import e2e.conftest
        from flows.login import sign_in


        def test_our_fixtures_are_ours(settings, target, users):
            assert settings["who"] == "team settings"
            assert target == {"name": "team target", "url": "http://team.invalid"}
            assert users == ["ada@team.invalid", "grace@team.invalid"]
            assert e2e.conftest.__file__.endswith("e2e/conftest.py")  # our e2e package, not another


        def test_our_playwright_journey(page, users):
            account = sign_in(page, users[0])
            assert page.inner_text("h1") == account.heading
            assert page.viewport_size == {"width": 1280, "height": 720}  # pytest-playwright's default
        """,
    "e2e/test_signup.py": """
        import pages.account
        import pages.login


        def test_our_page_objects_are_ours():
            assert pages.account.__file__.endswith("pages/account.py")
            assert pages.login.LoginPage.__module__ == "pages.login"
        """,
    "unit/test_django_settings.py": """
        def test_pytest_djangos_settings_fixture(settings):
            assert settings.GREETING == "hello"
            settings.GREETING = "changed for one test"
            assert settings.GREETING == "changed for one test"
        """,
}
TEAM_DEPENDENCIES = ["pytest>=8", "pytest-django>=4.9", "django>=5.2,<6", "pytest-playwright>=0.7"]


def _team_outcomes(python: Path, team: Path, env: dict[str, str]) -> dict[str, str]:
    """Each of the team's tests and its outcome, from pytest's own summary (`-rA`)."""
    done = subprocess.run([str(python), "-m", "pytest", "-rA", "-q", "--browser", "chromium"], cwd=team,
                          env=env, capture_output=True, text=True, timeout=300)
    outcomes = dict(reversed(line.split(" ", 2)[:2]) for line in done.stdout.splitlines()
                    if line.startswith(("PASSED ", "FAILED ", "ERROR ", "SKIPPED ")))
    assert done.returncode == 0 and len(outcomes) == 4, done.stdout[-3000:] + done.stderr[-2000:]
    return outcomes


def test_installed_from_a_wheel_into_a_teams_repository(tmp_path: Path) -> None:
    dist, venv, home, team = tmp_path / "dist", tmp_path / "venv", tmp_path / "myapp", tmp_path / "team"
    home.mkdir()
    for name, text in TEAM_REPOSITORY.items():
        (team / name).parent.mkdir(parents=True, exist_ok=True)
        (team / name).write_text(dedent(text).lstrip(), encoding="utf-8")
    source = tmp_path / "source"  # setuptools builds in the tree it is given: not in ours
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "build", "*.egg-info", "test-results", ".authprobe",
        "__pycache__", ".mypy_cache", ".ruff_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
         tmp_path)
    [wheel] = sorted(dist.glob("authprobe-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
    assert top == {"authprobe", "authprobe-0.1.0.dist-info"}, top  # nothing generic in site-packages
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python, authprobe = venv / "bin" / "python", venv / "bin" / "authprobe"
    clean_env = {k: v for k, v in os.environ.items()
                 if not k.startswith(("E2E_", "SANDBOX_", "PYTHONPATH", "VIRTUAL_ENV", "DJANGO_"))}

    # the team's own tests, before and after authprobe is installed beside them
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *TEAM_DEPENDENCIES],
         tmp_path)
    without = _team_outcomes(python, team, clean_env)
    assert set(without.values()) == {"PASSED"}, without
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          f"{wheel}[targets]"], tmp_path)
    assert _team_outcomes(python, team, clean_env) == without
    # and authprobe's own suite, run from the team's repository, against the sandbox: every check
    # is collected from the wheel (an import error fails the run); checks that read activation
    # mail, type TOTP codes and switch roles run (.ci/run runs them all from the clone)
    sandbox_run = subprocess.run([str(authprobe), "run", "-q", "-n", "2", "-m",
                                  "mfa or roles or (signup and severity1)"], cwd=team, env=clean_env,
                                 capture_output=True, text=True, timeout=600)
    assert sandbox_run.returncode == 0, sandbox_run.stdout[-4000:] + sandbox_run.stderr[-2000:]
    assert re.search(r"\b\d+ passed", sandbox_run.stdout.strip().splitlines()[-1]), sandbox_run.stdout[-2000:]
    assert _team_outcomes(python, team, clean_env) == without  # nothing of the run was left behind
    init = _run([str(authprobe), "init", "--name", "myapp"], home, clean_env)
    assert (home / "myapp.toml").is_file() and (home / ".env.example").is_file(), init.stdout
    schema_line = (home / "myapp.toml").read_text().splitlines()[0]  # editors validate against it
    assert schema_line.startswith("#:schema file://") and str(venv) in schema_line, schema_line
    assert Path(schema_line.removeprefix("#:schema file://")).is_file(), schema_line
    # the nightly a team pastes, from the wheel into an empty repository, passes actionlint (.ci/actionlint)
    repository = tmp_path / "nightly"
    repository.mkdir()
    _run([str(authprobe), "init", "--ci", "github"], repository, clean_env)
    workflow = repository / ".github" / "workflows" / "authprobe-nightly.yml"
    _run([str(ROOT / ".ci" / "actionlint"), str(workflow)], ROOT)
    reference = _run([str(authprobe), "docs"], home, clean_env).stdout  # without the repository
    assert "password_change_keeps_session" in reference and "[locators.login]" in reference

    token, imap = secrets.token_urlsafe(24), secrets.token_urlsafe(18)
    serve = subprocess.Popen([str(authprobe), "serve", "flask-security", "--json", "--test-mode",
                              "--port", "0", "--smtp-port", "0", "--imap-port", "0"], cwd=home, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**clean_env, "SANDBOX_ADMIN_TOKEN": token,
                                  "SANDBOX_IMAP_PASSWORD": imap})
    try:
        ready = _ready_line(serve)
        # "fill the profile": what a user writes for this app (the shipped worked example)
        shipped = (ROOT / "targets" / "flask_security.toml").read_text()
        (home / "myapp.toml").write_text(shipped.replace('name = "flask_security"', 'name = "myapp"'))
        # the .env a team writes: init's .env.example copied, its uncommented lines filled, the
        # optional lines this app needs uncommented (a non-TLS mailbox, the admin API), and the rest
        # (hook token, SMS gateway, admin sign-in) left as written: checks that need them must skip
        values = {"E2E_TARGET": "myapp.toml", "E2E_BASE_URL": ready["base_url"],
                  "E2E_IMAP_HOST": ready["imap_host"], "E2E_IMAP_PORT": ready["imap_port"],
                  "E2E_IMAP_SSL": "false", "E2E_IMAP_USER": ready["imap_user"], "E2E_IMAP_PASSWORD": imap,
                  "E2E_MAIL_ADDRESS": ready["mail_address"], "E2E_ADMIN_TOKEN": token}
        written = []
        for line in (home / ".env.example").read_text().splitlines():
            key = line.removeprefix("# ").split("=", 1)[0]
            written.append(f"{key}={values[key]}" if key in values and "=" in line else line)
        assert all(f"{key}=" in "\n".join(written) for key in values)
        assert "# E2E_HOOK_TOKEN=" in written, written  # still commented: the hook checks must skip
        (home / ".env").write_text("\n".join(written) + "\n")
        doctor = subprocess.run([str(authprobe), "doctor"], cwd=home, env=clean_env,
                                capture_output=True, text=True, timeout=60)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "✗" not in doctor.stdout and "browser: chromium" in doctor.stdout

        # checks from the wheel ran above (sandbox); here what the copied .env decides: the key
        # rotation checks skip for the hook token left commented (issue 31: they failed with a 404),
        # a check signs in, an accepted risk xfails (.ci/run runs every check against this stack)
        run = subprocess.run([str(authprobe), "run", "--target", "myapp.toml", "-q", "-n", "2", "-rs",
                              "-k", "key_rotation or logout_ends_the_session_on_the_server or "
                              "wrong_password_and_unknown_email"],
                             cwd=home, env=clean_env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        summary = run.stdout.strip().splitlines()[-1]
        assert re.search(r"\b\d+ passed", summary) and not re.search(r"\b\d+ (failed|error)", summary)
        assert "xfailed" in summary  # the profile's accepted risks, strict: as in our own CI
        assert "throwaway user(s) created" in run.stdout
        assert "E2E_HOOK_TOKEN is not set" in run.stdout, run.stdout[-3000:]  # a skip, not a failure
        assert not (home / "test-results").exists() or not any((home / "test-results").iterdir())
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    where = _run([str(python), "-c",
                  "import authprobe.e2e as e, authprobe.targets as t; print(e.__file__, t.__file__)"],
                 home, clean_env).stdout
    assert str(ROOT) not in where and str(venv) in where, where  # the wheel's suite, not this clone
