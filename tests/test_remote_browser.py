"""E2E_BROWSER_ENDPOINT: every browser from a `playwright run-server` (what Browserless, Moon
and the cloud grids speak), here a real one on loopback; a wrong server is one sentence."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox, suite_env_for

pytestmark = pytest.mark.whole_runs  # e2e in a subprocess: the long job

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ["e2e/test_login.py", "e2e/test_sessions.py::test_logout_ends_the_session_on_the_server"]
OLD_PLAYWRIGHT = "1.49.0"  # a server of another version, from npm (playwright-core, no browsers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(command: list[str], cwd: Path, *flags: str) -> Iterator[str]:
    """A `run-server` on a free port, its endpoint; stopped with every process it started
    (`python -m playwright` runs the node driver as a child, which outlived a plain terminate)."""
    port = free_port()
    process = subprocess.Popen([*command, "run-server", "--host", "127.0.0.1", "--port", str(port),
                                *flags], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Listening on ws://127.0.0.1:PORT/"
        assert "Listening on" in line, line
        yield f"ws://127.0.0.1:{port}/"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        _group_gone(process.pid)


def _group_gone(group: int) -> None:
    """Wait until no process of the group is left (the driver ends after the wrapper), else kill it."""
    ends = time.monotonic() + 10
    while time.monotonic() < ends:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Target]:
    target = started_sandbox()
    yield target
    target.stop()


def run_checks(target: Target, tmp: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = suite_env_for(target, tmp, E2E_BROWSER_ENDPOINT=endpoint,
                        E2E_BROWSER_PATH=shutil.which("chromium") or "")
    return subprocess.run([sys.executable, "-m", "pytest", *CHECKS, "--browser", "chromium", "-q",
                           "-p", "no:randomly"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_suite_runs_on_a_playwright_run_server(sandbox: Target, tmp_path: Path) -> None:
    # --unsafe: the server may use the browser path and args this run sends (loopback only)
    with serve([sys.executable, "-m", "playwright"], ROOT, "--unsafe") as endpoint:
        done = run_checks(sandbox, tmp_path, endpoint)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 passed" in done.stdout


def test_no_server_at_the_endpoint_is_one_sentence(sandbox: Target, tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_checks(sandbox, tmp_path, f"ws://127.0.0.1:{free_port()}/")
    assert done.returncode == 3 and time.monotonic() - started < 30
    assert "Could not connect to the browser server at E2E_BROWSER_ENDPOINT" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("npm") is None, reason="the other version comes from npm")
def test_a_server_of_another_playwright_version_is_named(
    sandbox: Target, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    npm_dir = tmp_path_factory.mktemp("playwright-core")
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                    f"playwright-core@{OLD_PLAYWRIGHT}"], cwd=npm_dir, check=True, timeout=300,
                   capture_output=True)
    with serve(["node", str(npm_dir / "node_modules" / "playwright-core" / "cli.js")], npm_dir) as endpoint:
        done = run_checks(sandbox, tmp_path, endpoint)
    assert done.returncode == 3, done.stdout[-3000:]
    assert "runs Playwright 1.49, this run has 1.65" in done.stdout, done.stdout[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
