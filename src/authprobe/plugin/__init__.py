"""authprobe's pytest plugin (entry point `pytest11: authprobe`): thin, because it loads in every
pytest run of an environment where authprobe is installed, most of them not authprobe's.

Always here: the `--authprobe` option and `authprobe` ini value, the markers of the checks,
and the decision "is this an authprobe run": one that runs the shipped suite (`pytest e2e/`,
`pytest --pyargs authprobe.e2e`), or a team's own tests with `authprobe = true` in their
pytest ini (or `--authprobe`). Only in such a run are the rest imported and registered
(src/authprobe/plugin/suite.py: the `authprobe_…` fixtures, pytest-playwright's fixtures
extended, redaction, reporting, the run's end), the way pytest-xdist registers its
scheduler only with `-n`. Any other run, somebody else's Playwright tests included, keeps
pytest's and pytest-playwright's behaviour untouched and pays for this module alone: it
imports no other authprobe module and nothing pytest has not loaded already.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

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
    "sso: sign-in through an identity provider ([sso]): callback, linking, sign-out, revocation, keys",
    "passkeys: passkeys (WebAuthn, [passkeys]): registration, sign-in, removal, replay, clones",
    "lockout: limits on guessing ([lockout]): wrong passwords and codes lock the account, alike for "
    "unknown addresses, and what lets the user back in",
    "network: where users come from (admin networks, bound sessions, per-address limits, hooks)",
    "whole_target: the check changes the target for every user (runs alone on a shared target)",
    "severity1: a broken invariant here is a security hole or locks users out",
    "severity2: a broken invariant here degrades security or usability",
    "changes_account(*what): the check changes its users' 'role' (pool accounts must be restorable)",
    "needs(*features): the check needs these [features] of the app (skipped when one is false)",
    "expiry(hook, lifetime): an expiry check: with the hook unusable and --realtime-max set, it waits "
    "for the lifetime ([policy] KEY or SECTION.KEY) for real (the real-time lane)",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authprobe")
    group.addoption("--authprobe", action="store_true", default=False,
                    help="treat these tests as authprobe checks (browser settings, artifacts, "
                         "seal and scan), as the shipped suite is")
    group.addoption("--realtime-max", default=None, metavar="DURATION",
                    help="the real-time lane: expiry checks without a usable test hook wait for "
                         "lifetimes up to DURATION (90s, 30m, 2h) for real (E2E_REALTIME_MAX)")
    group.addoption("--compare-with", default=None, metavar="PATH",
                    help="compare this run with an earlier run's JUnit XML, or a folder of them: new "
                         "failures, fixed, still failing, flipping, step times against budgets")
    parser.addini("authprobe", type="bool", default=False,
                  help="this project's tests are authprobe checks (as --authprobe)")


def suite_dir() -> Path | None:
    """The shipped suite's folder (`authprobe.e2e`), found without importing it or anything else
    of authprobe (authprobe.resources does the same for the rest of the tool)."""
    spec = importlib.util.find_spec("authprobe.e2e")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _inside_suite(arg: str, pyargs: bool, suite: Path) -> bool:
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
    return resolved == suite or suite in resolved.parents


def is_authprobe_run(config: pytest.Config) -> bool:
    if config.getoption("--authprobe") or config.getini("authprobe"):
        return True
    suite = suite_dir()
    if suite is None:
        return False
    pyargs = bool(config.getoption("pyargs", False))
    return any(_inside_suite(arg, pyargs, suite) for arg in config.args)


@pytest.hookimpl(trylast=True)  # after pytest's terminal reporter exists, after every entry point
def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    # xdist's workers decide the same: they get the controller's args and options
    if is_authprobe_run(config):
        from authprobe.plugin.suite import activate

        activate(config)
