"""From a wheel, outside this repository: install, init, doctor, run the shipped suite.

The user's story of issue 12: a fresh virtualenv in a folder of its own, `pip install` of
the wheel built from this repository, `authprobe init`, the profile filled in for the
Flask-Security-Too target started by `authprobe serve flask-security`, `authprobe doctor`
green, then the shipped suite runs against it from that folder. Minutes (it installs every
dependency, from pip's cache where it can): the `whole_runs` job of .ci/run.
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
from pathlib import Path

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


def test_installed_from_a_wheel_the_suite_runs_from_another_folder(tmp_path: Path) -> None:
    dist, venv, home = tmp_path / "dist", tmp_path / "venv", tmp_path / "myapp"
    home.mkdir()
    source = tmp_path / "source"  # setuptools builds in the tree it is given: not in ours
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "build", "*.egg-info", "test-results", ".authprobe",
        "__pycache__", ".mypy_cache", ".ruff_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
         tmp_path)
    [wheel] = sorted(dist.glob("authprobe-*.whl"))
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python, authprobe = venv / "bin" / "python", venv / "bin" / "authprobe"
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          f"{wheel}[targets]"], tmp_path)

    clean_env = {k: v for k, v in os.environ.items()
                 if not k.startswith(("E2E_", "SANDBOX_", "PYTHONPATH", "VIRTUAL_ENV"))}
    init = _run([str(authprobe), "init", "--name", "myapp"], home, clean_env)
    assert (home / "myapp.toml").is_file() and (home / ".env.example").is_file(), init.stdout

    token, imap = secrets.token_urlsafe(24), secrets.token_urlsafe(18)
    serve = subprocess.Popen([str(authprobe), "serve", "flask-security", "--test-mode", "--port", "0",
                              "--smtp-port", "0", "--imap-port", "0"], cwd=home, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env={**clean_env, "SANDBOX_ADMIN_TOKEN": token,
                                  "SANDBOX_IMAP_PASSWORD": imap})
    try:
        ready = _ready_line(serve)
        # "fill the profile": what a user writes for this app (the shipped worked example)
        shipped = (ROOT / "targets" / "flask_security.toml").read_text()
        (home / "myapp.toml").write_text(shipped.replace('name = "flask_security"', 'name = "myapp"'))
        (home / ".env").write_text("\n".join([
            "E2E_TARGET=myapp.toml", f"E2E_BASE_URL={ready['base_url']}",
            f"E2E_IMAP_HOST={ready['imap_host']}", f"E2E_IMAP_PORT={ready['imap_port']}",
            "E2E_IMAP_SSL=false", f"E2E_IMAP_USER={ready['imap_user']}",
            f"E2E_IMAP_PASSWORD={imap}", f"E2E_MAIL_ADDRESS={ready['mail_address']}",
            f"E2E_ADMIN_TOKEN={token}", ""]))
        doctor = subprocess.run([str(authprobe), "doctor"], cwd=home, env=clean_env,
                                capture_output=True, text=True, timeout=60)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert "✗" not in doctor.stdout and "browser: chromium" in doctor.stdout

        run = subprocess.run([str(authprobe), "run", "--target", "myapp.toml", "-q", "-n", "2"],
                             cwd=home, env=clean_env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        summary = run.stdout.strip().splitlines()[-1]
        assert re.search(r"\b\d+ passed", summary) and not re.search(r"\b\d+ (failed|error)", summary)
        assert "xfailed" in summary  # the profile's accepted risks, strict: as in our own CI
        assert "throwaway user(s) created" in run.stdout
        assert not (home / "test-results").exists() or not any((home / "test-results").iterdir())
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    where = _run([str(python), "-c", "import e2e, targets; print(e2e.__file__, targets.__file__)"],
                 home, clean_env).stdout
    assert str(ROOT) not in where and str(venv) in where, where  # the wheel's suite, not this clone
