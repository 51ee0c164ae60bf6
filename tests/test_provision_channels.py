"""Each provisioning channel runs the e2e checks that lean on it on the sandbox and leaves no user.

Not the whole suite (CI minutes): the files whose checks use every operation a channel has
(create with a role, set_role, deactivation, activation by sign-up, reset for each role) and
every way a user is removed (after TOTP, after text codes, after a password change).

The sandbox's own profile, with sections removed the way a user without them would have
it: no `[admin_api]` (the admin screen takes over), no `[admin_api]` and no
`[admin_screen]` (the command), and nothing but sign-up and self-service deletion. The
app's database is read afterwards: only the seeded admin account may remain.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from authprobe.profile import TARGETS_DIR, load_profile
from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox
from authprobe.target.environment import sms_env_for

pytestmark = pytest.mark.whole_runs  # runs the e2e suite in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "admin@sandbox.test"


def without_sections(profile_text: str, *prefixes: str) -> str:
    """The profile with every `[section]` whose name starts with one of `prefixes` removed."""
    kept, dropping = [], False
    for line in profile_text.splitlines(keepends=True):
        header = re.match(r"^\[([\w.]+)\]", line)
        if header:
            dropping = header.group(1).startswith(prefixes)
        if not dropping:
            kept.append(line)
    return "".join(kept)


@dataclass(frozen=True)
class SuiteRun:
    code: int
    output: str
    outcomes: dict[str, str]  # test name → passed / skipped / failed / error
    skip_reasons: dict[str, str]
    users_left: list[str]


def run_suite_with(profile_text: str, tmp: Path, *select: str, markers: str | None = None,
                   extra_env: dict[str, str] | None = None,
                   before: Callable[[Path], None] | None = None) -> SuiteRun:
    """The whole e2e suite against a sandbox of our own, then the users its database holds."""
    profile_path = tmp / "profile.toml"
    profile_path.write_text(profile_text)
    load_profile(str(profile_path))  # a broken cut would fail here, with the reason
    db = tmp / "app.sqlite3"
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        admin_password=SecretStr("adm-" + secrets.token_urlsafe(18)))
    target: Target = start_sandbox(settings, ["--db", str(db)])
    try:
        if before is not None:
            before(db)
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
        env.update({
            "E2E_TARGET": str(profile_path), "E2E_BASE_URL": target.base_url,
            "E2E_IMAP_HOST": target.imap_host, "E2E_IMAP_PORT": str(target.imap_port),
            "E2E_IMAP_USER": target.imap_user, "E2E_IMAP_SSL": "false",
            "E2E_MAIL_ADDRESS": target.mail_address, "E2E_ARTIFACTS_DIR": str(tmp / "artifacts"),
            "E2E_IMAP_PASSWORD": target.imap_password.get_secret_value(),
            "E2E_HOOK_TOKEN": target.hook_token.get_secret_value() if target.hook_token else "",
            "E2E_ADMIN_EMAIL": target.admin_email or "",
            "E2E_ADMIN_PASSWORD": target.admin_password.get_secret_value()
            if target.admin_password else "",
            "E2E_STATE_DIR": str(tmp / "state"),
            **sms_env_for(target),
            "E2E_KEEP_ARTIFACTS": "never",  # provisioning is judged here, not traces (a third of the time)
            **target.command_env,  # what a user's own command would find in its environment
            **(extra_env or {}),
        })
        junit = tmp / "junit.xml"
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *(select or CHANNEL_FILES), "--browser",
             "chromium", "-q", "-rs", *(["-m", markers] if markers else []),
             "-p", "no:randomly", "--junitxml", str(junit)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        listed = subprocess.run([sys.executable, "-m", "authprobe.sandbox.admin", "--db", str(db), "list"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    finally:
        target.stop()
    outcomes, reasons = {}, {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "").split("[")[0]
        skipped, failed = case.find("skipped"), case.find("failure") or case.find("error")
        if skipped is not None:
            outcomes[name], reasons[name] = "skipped", skipped.get("message", "")
        else:
            outcomes[name] = "failed" if failed is not None else "passed"
    users = [json.loads(line)["email"] for line in listed.stdout.splitlines() if line.strip()]
    return SuiteRun(done.returncode, done.stdout + done.stderr, outcomes, reasons, users)


SANDBOX = (TARGETS_DIR / "sandbox.toml").read_text()
CHANNEL_FILES = [f"e2e/test_{name}.py"
                 for name in ("roles", "network", "signup", "login", "reset", "mfa", "sms")]
# every check of those files, as the files define them (each must report through every channel),
# but the lockout checks: the channel runs leave [lockout] out (see below)
ALL_CHECKS = {name for path in map(ROOT.joinpath, CHANNEL_FILES)
              for name in re.findall(r"^def (test_\w+)\(", path.read_text(), re.MULTILINE)} - {
    name for path in map(ROOT.joinpath, CHANNEL_FILES)
    for name in re.findall(r"^@pytest\.mark\.lockout\n(?:@.*\n)*def (test_\w+)\(", path.read_text(),
                           re.MULTILINE)}
CHANNELS = {
    "admin_screen": ("admin_api",),
    "command": ("admin_api", "admin_screen"),
    "signup": ("admin_api", "admin_screen", "commands"),
}


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_the_suite_runs_through_one_channel_and_leaves_no_user(channel: str, tmp_path: Path) -> None:
    # without the per-account lockout (the sandbox starts without its shape): self-service
    # removal signs in as the user, which a locked account cannot until its lock passes
    run = run_suite_with(without_sections(SANDBOX, *CHANNELS[channel], "lockout"), tmp_path,
                         markers="not lockout")
    tail = run.output[-3000:]
    assert run.code == 0, f"e2e through {channel} failed:\n{tail}"
    assert set(run.outcomes) == ALL_CHECKS, f"not every check reported:\n{tail}"
    skipped = {name for name, outcome in run.outcomes.items() if outcome == "skipped"}
    if channel == "signup":
        roles = {"test_each_role_is_offered_and_shown_exactly_its_pages",
                 "test_backend_refuses_every_resource_outside_the_role_even_when_requested_directly",
                 "test_role_downgrade_by_an_admin_channel_holds_at_the_next_request",
                 "test_role_downgrade_on_the_admin_screen_holds_at_the_next_request",
                 "test_reset_works_for_every_role",
                 "test_an_admin_outside_the_admin_networks_is_refused_even_claiming_to_be_inside",
                 "test_a_session_that_becomes_an_admins_outside_the_admin_networks_ends_there",
                 "test_a_bound_session_replayed_from_another_address_is_dead"}
        assert skipped == roles, f"only the role checks may skip with sign-up alone: {skipped}"
        for name in skipped:
            assert "describes no channel for 'set_role'" in run.skip_reasons[name], run.skip_reasons
    else:
        assert not skipped, f"{channel} must run every check: skipped {run.skip_reasons}"
    assert f"deleted via {channel}" in run.output and "left on the target" not in run.output
    assert run.users_left == [ADMIN_EMAIL], f"users left in the app's database: {run.users_left}"


def test_without_a_usable_channel_the_skip_names_what_to_set(tmp_path: Path) -> None:
    """The admin API described but its token unset, and nothing else able to set roles."""
    text = without_sections(SANDBOX, "admin_screen", "commands")
    run = run_suite_with(text, tmp_path, "e2e/test_roles.py", "e2e/test_signup.py")
    reasons = set(run.skip_reasons.values())  # E2E_ADMIN_TOKEN is not passed on
    assert run.code == 0, run.output[-3000:]
    assert reasons and all("admin_api: E2E_ADMIN_TOKEN is not set" in r for r in reasons), reasons
    assert [n for n, o in run.outcomes.items() if o == "passed"], "sign-up checks must still run"
    assert run.users_left == [ADMIN_EMAIL]


POOL = {"member": "qa+pool-member@sandbox.test", "editor": "qa+pool-editor@sandbox.test",
        "admin": "qa+pool-admin@sandbox.test"}


def test_pool_accounts_are_borrowed_restored_and_kept(tmp_path: Path) -> None:
    """E2E_POOL: nothing is created for the checks that borrow; a reset password and a
    downgraded role are put back, proven by the sign-in checks that borrow the same
    accounts afterwards; checks that would enrol TOTP skip, saying why."""
    passwords = {role: "pool-" + secrets.token_urlsafe(12) for role in POOL}

    def provision(db: Path) -> None:
        for role, email in POOL.items():
            subprocess.run([sys.executable, "-m", "authprobe.sandbox.admin", "--db", str(db), "create",
                            email, "--role", role], cwd=ROOT, check=True, timeout=60,
                           env={**os.environ, "SANDBOX_NEW_PASSWORD": passwords[role]})

    pool = {role: [{"email": email, "password": passwords[role]}] for role, email in POOL.items()}
    run = run_suite_with(
        SANDBOX, tmp_path,
        "e2e/test_reset.py::test_reset_replaces_the_old_password",
        "e2e/test_roles.py::test_role_downgrade_by_an_admin_channel_holds_at_the_next_request",
        "e2e/test_login.py", "e2e/test_sessions.py::test_logout_ends_the_session_on_the_server",
        "e2e/test_mfa.py::test_used_totp_code_is_refused",
        extra_env={"E2E_POOL": json.dumps(pool)}, before=provision)
    assert run.code == 0, run.output[-3000:]
    assert run.outcomes["test_logout_ends_the_session_on_the_server"] == "passed"  # after the reset
    assert "no channel can undo on a pool account" in run.skip_reasons["test_used_totp_code_is_refused"]
    assert sorted(run.users_left) == sorted([ADMIN_EMAIL, *POOL.values()])
    assert "returned to the pool" in run.output and "unrestored" not in run.output
    for secret in passwords.values():
        assert secret not in run.output
