"""The e2e run itself keeps its secrets: not in output, JUnit XML or kept traces.

Runs small e2e subsets in a subprocess against a sandbox started here with secrets we
chose, so every place a secret could land can be searched for the exact values.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import SecretStr

from authprobe.scan import scan_paths
from authprobe.settings import Settings
from authprobe.target.app import Target, start_sandbox
from authprobe.target.environment import sms_env_for, suite_env_for

pytestmark = [pytest.mark.hygiene, pytest.mark.whole_runs]  # e2e in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
LOGIN_AND_HOOK = [
    "e2e/test_sessions.py::test_session_id_changes_at_signin",
    "e2e/test_reset.py::test_expired_reset_link_is_refused_and_password_unchanged",
]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    junit: bytes
    artifacts: Path


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    settings = Settings(_env_file=None, admin_token=SecretStr("adm-" + secrets.token_urlsafe(24)),  # type: ignore[call-arg]
                        hook_token=SecretStr("hook-" + secrets.token_urlsafe(24)))
    target = start_sandbox(settings)
    yield target
    target.stop()


TEXTED = "e2e/test_sms.py::test_an_expired_texted_code_is_refused"  # the SMS gateway's token too


def secrets_of(target: Target) -> dict[str, SecretStr]:
    assert target.admin_token and target.hook_token and target.sms_auth_token
    return {"E2E_ADMIN_TOKEN": target.admin_token, "E2E_HOOK_TOKEN": target.hook_token,
            "E2E_IMAP_PASSWORD": target.imap_password, "E2E_SMS_AUTH_TOKEN": target.sms_auth_token}


def run_e2e(target: Target, tmp: Path, *args: str, plugin: str | None = None) -> Run:
    """The suite pointed at `target`, keeping every artifact, with JUnit XML."""
    env = suite_env_for(target, tmp, E2E_KEEP_ARTIFACTS="always", **sms_env_for(target))
    command = [sys.executable, "-m", "pytest", *args, "--browser", "chromium", "-q",
               "--tracing", "on", "--junitxml", str(tmp / "junit.xml")]
    if plugin is not None:
        (tmp / "planted_plugin.py").write_text(dedent(plugin))
        env["PYTHONPATH"] = str(tmp)
        command += ["-p", "planted_plugin"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    junit = (tmp / "junit.xml").read_bytes() if (tmp / "junit.xml").exists() else b""
    return Run(done.returncode, done.stdout, done.stderr, junit, tmp / "artifacts")


def every_byte_stream(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Each file under `folder`, and each member of each zip (traces are compressed)."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield str(path), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)


def test_no_secret_of_the_run_in_output_junit_or_kept_traces(sandbox: Target, tmp_path: Path) -> None:
    run = run_e2e(sandbox, tmp_path, *LOGIN_AND_HOOK, TEXTED)
    assert run.code == 0, run.stdout[-3000:] + run.stderr[-2000:]
    kept = [p for p in run.artifacts.rglob("trace*.zip")]
    assert len(kept) >= 3, f"--tracing on kept no traces: {list(run.artifacts.rglob('*'))}"
    assert run.junit, "no JUnit XML written"
    streams = list(every_byte_stream(run.artifacts))
    for name, secret in secrets_of(sandbox).items():
        value = secret.get_secret_value()
        assert value not in run.stdout and value not in run.stderr, f"{name} in the run's output"
        assert value.encode() not in run.junit, f"{name} in the JUnit XML"
        holders = [where for where, data in streams if value.encode() in data]
        assert not holders, f"{name} in the artifacts: {holders}"
    leaks = [f for f in scan_paths([run.artifacts], secrets_of(sandbox)) if f.kind.startswith("secret")]
    assert leaks == [], leaks
    assert "none of the run's secrets found" in run.stdout
    assert stat.S_IMODE(run.artifacts.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in run.artifacts.rglob("*") if p.is_file()} == {0o600}


PLANT_TYPED_TOKEN = """
    import os
    import pytest

    @pytest.fixture(autouse=True)
    def type_the_admin_token(page):
        # what a careless test does: the admin token typed into a page while tracing
        page.set_content('<input aria-label="token">')
        page.get_by_label("token").fill(os.environ["E2E_ADMIN_TOKEN"])
"""


def test_end_of_run_scan_fails_a_run_whose_trace_holds_the_admin_token(
    sandbox: Target, tmp_path: Path
) -> None:
    run = run_e2e(sandbox, tmp_path, LOGIN_AND_HOOK[0], plugin=PLANT_TYPED_TOKEN)
    token = secrets_of(sandbox)["E2E_ADMIN_TOKEN"].get_secret_value()
    assert "1 passed" in run.stdout, run.stdout[-3000:]
    assert run.code == 1, f"the run passed although a trace holds the admin token:\n{run.stdout[-2000:]}"
    assert "trace.zip!" in run.stdout and ": secret E2E_ADMIN_TOKEN" in run.stdout, run.stdout[-2000:]
    assert token not in run.stdout + run.stderr and token.encode() not in run.junit


PLANT_TYPED_SANDBOX_TOKEN = """
    import os
    import pytest

    @pytest.fixture(autouse=True)
    def type_the_sandbox_token(page, authprobe_target):
        # the hook token of the sandbox this process started: only it knows the value
        token = authprobe_target.hook_token.get_secret_value()
        with open(os.environ["PLANTED_TYPED"], "a") as typed:  # the test's oracle
            typed.write(token + " ")
        page.set_content('<input aria-label="token">')
        page.get_by_label("token").fill(token)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_leak_of_a_secret_only_the_run_knew_fails_serial_and_parallel_runs_alike(
    workers: list[str], tmp_path: Path
) -> None:
    """Each process starts its own sandbox; under xdist only the controller sees all artifacts."""
    typed = tmp_path / "typed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
    env.update({"E2E_KEEP_ARTIFACTS": "always", "E2E_ARTIFACTS_DIR": str(tmp_path / "artifacts"),
                "PYTHONPATH": str(tmp_path), "E2E_STATE_DIR": str(tmp_path / "state"),
                "PLANTED_TYPED": str(typed)})
    (tmp_path / "planted_plugin.py").write_text(dedent(PLANT_TYPED_SANDBOX_TOKEN))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *LOGIN_AND_HOOK, "--browser", "chromium", "-q",
         "--tracing", "on", "-p", "planted_plugin", "-p", "no:randomly", *workers],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    tokens = set(typed.read_text().split())
    assert len(tokens) == (2 if workers else 1), f"{len(tokens)} sandbox(es) started:\n{out[-3000:]}"
    assert "2 passed" in done.stdout, out[-3000:]
    assert done.returncode == 1, f"the run passed although its traces hold a hook token:\n{out[-3000:]}"
    assert ": secret E2E_HOOK_TOKEN" in done.stdout, out[-3000:]
    places = done.stdout.count(": secret E2E_HOOK_TOKEN")
    assert places >= len(tokens), f"not every process's leak was found:\n{done.stdout[-3000:]}"
    assert not any(token in out for token in tokens), "a hook token in the run's output"


PLANT_FAILING_TEST = """
    import pytest

    @pytest.fixture(autouse=True)
    def admin_call_to_a_dead_port(request, authprobe_target, authprobe_api):
        # Playwright's error lists the request headers, Authorization included
        if "session_id" in request.node.name:
            authprobe_api.post("http://127.0.0.1:9/api/admin/users", timeout=2000, headers={
                "Authorization": "Bearer " + authprobe_target.admin_token.get_secret_value()})
"""


def test_a_failure_that_carries_the_admin_token_is_redacted_in_output_and_junit(
    sandbox: Target, tmp_path: Path
) -> None:
    run = run_e2e(sandbox, tmp_path, LOGIN_AND_HOOK[0], plugin=PLANT_FAILING_TEST)
    token = secrets_of(sandbox)["E2E_ADMIN_TOKEN"].get_secret_value()
    assert run.code == 1 and "1 error" in run.stdout, run.stdout[-3000:]
    assert "Bearer [E2E_ADMIN_TOKEN]" in run.stdout, run.stdout[-3000:]
    assert b"Bearer [E2E_ADMIN_TOKEN]" in run.junit
    assert token not in run.stdout + run.stderr and token.encode() not in run.junit
