"""The admin's password is never in a kept artifact, however much the run is told to record.

The shipped suite's admin-screen role check runs against a sandbox with a seeded defect that
makes it fail (`role_downgrade_cached`), every recording on (`--tracing on`, `--video on`,
`--screenshot on`, E2E_KEEP_ARTIFACTS=always) and the admin screen as the only provisioning
channel, so both the check's own admin session and the channel's type the admin's password.
Every kept file, and every member of every trace zip, is then searched for that password in
every encoding it could travel in. Likewise the stored sign-in (a pool account's password
is long-lived): the check's traced context only ever receives the state, never the password.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright
from pydantic import SecretStr

from authprobe.oracle.session import BackendSession
from authprobe.plugin.signed_in import SignedInStates
from authprobe.profile import load_profile
from authprobe.scan.patterns import secret_forms
from authprobe.security.artifacts import make_private_dir
from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox
from authprobe.target.environment import sms_env_for
from tests.test_signed_in_state import AdminApiUsers, world  # noqa: F401 - the sandbox and browser

ROOT = Path(__file__).resolve().parent.parent
PROFILE = load_profile("sandbox")
CHECK = "e2e/test_roles.py::test_role_downgrade_on_the_admin_screen_holds_at_the_next_request"


def members(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """A file's bytes, and those of every member of it that is a zip (traces), recursively."""
    yield name, data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from members(f"{name}!{member}", archive.read(member))


@pytest.mark.whole_runs  # runs a check of the e2e suite in a subprocess
def test_a_failing_admin_screen_check_keeps_no_admin_password_in_any_artifact(tmp_path: Path) -> None:
    password = "adm-" + secrets.token_urlsafe(18)  # pragma: allowlist secret
    settings = Settings(_env_file=None, admin_password=SecretStr(password))  # type: ignore[call-arg]
    target = start_sandbox(settings, ["--defect", "role_downgrade_cached"])
    artifacts = tmp_path / "artifacts"
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
        env.update({
            "E2E_TARGET": "sandbox", "E2E_BASE_URL": target.base_url,
            "E2E_IMAP_HOST": target.imap_host, "E2E_IMAP_PORT": str(target.imap_port),
            "E2E_IMAP_USER": target.imap_user, "E2E_IMAP_SSL": "false",
            "E2E_IMAP_PASSWORD": target.imap_password.get_secret_value(),
            "E2E_MAIL_ADDRESS": target.mail_address, "E2E_ARTIFACTS_DIR": str(artifacts),
            "E2E_ADMIN_EMAIL": target.admin_email or "", "E2E_ADMIN_PASSWORD": password,
            "E2E_PROVISION": "admin_screen", "E2E_STATE_DIR": str(tmp_path / "state"),
            "E2E_KEEP_ARTIFACTS": "always", **sms_env_for(target),
        })
        done = subprocess.run(
            [sys.executable, "-m", "pytest", CHECK, "--browser", "chromium", "-q", "-p", "no:randomly",
             "--tracing", "on", "--video", "on", "--screenshot", "on"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        target.stop()
    output = done.stdout + done.stderr
    assert "1 failed" in output and "a role downgrade must take effect" in output, output[-3000:]
    assert password not in output

    kept = sorted(path for path in artifacts.rglob("*") if path.is_file())
    traces = [path for path in kept if path.suffix == ".zip"]
    assert traces and [path for path in kept if path.suffix == ".png"], (
        f"the failed check kept no trace or screenshot, so nothing was proven: {kept}")
    forms = secret_forms(password)
    found = sorted({f"{name}{how}" for path in kept
                    for name, data in members(str(path.relative_to(artifacts)), path.read_bytes())
                    for form, how in forms.items() if form in data})
    assert not found, f"the admin's password is in kept artifacts: {found}"


def test_stored_sign_in_types_the_password_only_in_an_untraced_context(
    world: tuple[Target, Playwright, Browser], tmp_path: Path,  # noqa: F811
) -> None:
    target, playwright, browser = world
    traced: list[BrowserContext] = []

    def new_context(**kwargs: object) -> BrowserContext:  # as pytest-playwright's, under --tracing on
        traced.append(browser.new_context(base_url=target.base_url, **kwargs))  # type: ignore[arg-type]
        traced[-1].tracing.start(snapshots=True, screenshots=True, sources=True)
        return traced[-1]

    users = AdminApiUsers(playwright, target)
    states = SignedInStates(make_private_dir(tmp_path / "state"), users,  # type: ignore[arg-type]
                            PROFILE, 5.0,
                            lambda: browser.new_context(base_url=target.base_url))
    page, user = states.page("editor", new_context)
    view = BackendSession(page.context.request, PROFILE.session_probe, 5.0).read()
    assert states.sign_ins == 1 and view.email == user.email, view.describe()  # from the state
    forms = secret_forms(user.password.get_secret_value())
    found = []
    for index, context in enumerate(traced):
        context.tracing.stop(path=tmp_path / f"trace-{index}.zip")
        context.close()
        found += [name for name, data in members(f"trace-{index}.zip",
                                                 (tmp_path / f"trace-{index}.zip").read_bytes())
                  if any(form in data for form in forms)]
    users.api.dispose()
    assert traced and not found, f"the user's password is in the check's trace: {found}"
