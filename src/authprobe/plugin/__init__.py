"""authprobe's pytest plugin (entry point `pytest11: authprobe`), one concern per module.

It gives any test the fixtures of the shipped suite: `settings`, `profile`, `target`,
`inbox`, `phone`, `api`, `hooks`, `users`, `mfa_user`, `journey` (the UI/backend oracle after each
step), `provisioner`. Its hooks redact the run's secrets, attach journeys to reports, and
seal and scan the artifacts once per run (src/authprobe/plugin/run_end.py).

pytest-playwright's own fixtures are extended (src/authprobe/plugin/browser.py) only in an authprobe run:
one that runs the shipped suite (`pytest e2e/`, `pytest --pyargs e2e`), or a user's own
tests with `authprobe = true` in their pytest ini (or `--authprobe`). Other Playwright
tests in the same environment keep pytest-playwright's behaviour untouched.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from authprobe.plugin import browser
from authprobe.plugin.configuration import profile, settings, target  # noqa: F401 - fixtures
from authprobe.plugin.device_contexts import device_source, devices  # noqa: F401 - devices with own addresses
from authprobe.plugin.journeys import journey  # noqa: F401 - fixture
from authprobe.plugin.provisioning import (  # noqa: F401 - fixtures and hook
    account_pool,
    mfa_user,
    provisioner,
    pytest_runtest_call,
    users,
)
from authprobe.plugin.reporting import (  # noqa: F401 - hooks
    pytest_exception_interact,
    pytest_runtest_makereport,
    redact_and_keep_artifacts,
)
from authprobe.plugin.run_end import (  # noqa: F401 - hooks: the run's end, once per run (also under xdist)
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from authprobe.plugin.runtime import ACTIVE
from authprobe.plugin.services import api, egress, flows_log, hooks, inbox, phone, require_hook  # noqa: F401
from authprobe.plugin.signed_in import signed_in, signed_in_states  # noqa: F401 - stored sign-in state
from authprobe.plugin.whole_target import _whole_target_checks_alone, name_the_run  # noqa: F401 - xdist on one target
from authprobe.resources import suite_dir

SUITE_DIR = suite_dir()
MARKERS = [
    "signup: sign-up and activation",
    "login: sign-in and sign-out",
    "mfa: TOTP enrollment, challenge, recovery codes",
    "reset: password reset",
    "password: password change by a signed-in user",
    "roles: roles and permissions",
    "sessions: session lifetime, fixation, logout",
    "concurrency: concurrent and shared-device sign-ins",
    "hygiene: secrets, egress, data flows of the run",
    "budgets: step times judged against the profile's [budgets]",
    "sms: text messages (activation by a texted code, text codes as the second factor)",
    "network: where users come from (admin networks, bound sessions, per-address limits, hooks)",
    "whole_target: the check changes the target for every user (runs alone on a shared target)",
    "severity1: a broken invariant here is a security hole or locks users out",
    "severity2: a broken invariant here degrades security or usability",
    "changes_account(*what): the check changes its users' 'role' (pool accounts must be restorable)",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authprobe")
    group.addoption("--authprobe", action="store_true", default=False,
                    help="treat these tests as authprobe checks (browser settings, artifacts, "
                         "seal and scan), as the shipped suite is")
    parser.addini("authprobe", type="bool", default=False,
                  help="this project's tests are authprobe checks (as --authprobe)")


def _inside_suite(arg: str, pyargs: bool) -> bool:
    """Whether a command-line argument names the shipped suite or something in it."""
    named = arg.split("::")[0]
    if pyargs and not Path(named).exists():
        try:
            spec = importlib.util.find_spec(named)
        except (ImportError, ValueError):
            return False
        if spec is None or spec.origin is None:
            return False
        path = Path(spec.origin).parent if spec.origin.endswith("__init__.py") else Path(spec.origin)
    else:
        path = Path(named)
    resolved = path.resolve()
    return resolved == SUITE_DIR or SUITE_DIR in resolved.parents


def is_authprobe_run(config: pytest.Config) -> bool:
    if config.getoption("--authprobe") or config.getini("authprobe"):
        return True
    pyargs = bool(config.getoption("pyargs", False))
    return any(_inside_suite(arg, pyargs) for arg in config.args)


@pytest.hookimpl(trylast=True)  # after pytest's terminal reporter exists
def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    active = is_authprobe_run(config)
    config.stash[ACTIVE] = active
    if active:
        name_the_run(config)
        browser.cache_driver_compilation()
    redact_and_keep_artifacts(config, active)
    if active and not config.pluginmanager.is_registered(browser):
        # registered now, after every entry-point plugin: each override gets pytest-playwright's value
        config.pluginmanager.register(browser, "authprobe-browser")

