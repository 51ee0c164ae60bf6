"""Which system browser a run launches: the headless shell for headless runs, as Playwright's
own install does, and the full browser whenever a window is wanted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from authprobe.browser_config import load_browser_config


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """playwright.config.py on a PATH holding only the executables a test puts in `tmp_path`."""
    module = load_browser_config()
    monkeypatch.setattr(module, "_playwright_own", lambda *_: None)  # no Playwright download here
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PWDEBUG", raising=False)
    return module


def _executable(folder: Path, name: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_headless_runs_take_the_headless_shell(config: ModuleType, tmp_path: Path) -> None:
    full, shell = _executable(tmp_path, "chromium"), _executable(tmp_path, "chromium-headless-shell")
    assert config.launch_options("chromium", None)["executable_path"] == shell
    assert config.launch_options("chromium", None, headless=False)["executable_path"] == full


def test_pwdebug_gets_the_full_browser(config: ModuleType, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    full = _executable(tmp_path, "chromium")
    _executable(tmp_path, "chromium-headless-shell")
    monkeypatch.setenv("PWDEBUG", "1")
    assert config.launch_options("chromium", None)["executable_path"] == full


def test_without_a_shell_headless_runs_use_the_full_browser(config: ModuleType, tmp_path: Path) -> None:
    full = _executable(tmp_path, "chromium")
    assert config.launch_options("chromium", None)["executable_path"] == full


def test_an_explicit_browser_path_wins(config: ModuleType, tmp_path: Path) -> None:
    _executable(tmp_path, "chromium-headless-shell")
    mine = _executable(tmp_path.parent, "my-chrome")
    assert config.launch_options("chromium", mine)["executable_path"] == mine


@pytest.mark.skipif(not Path("/usr/bin/chromium-headless-shell").exists(),
                    reason="the system chromium-headless-shell is not installed")
def test_the_system_shell_really_runs_headless() -> None:
    done = subprocess.run(["/usr/bin/chromium-headless-shell", "--no-sandbox", "--dump-dom",
                           "data:text/html,<p>shell-ok</p>"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "HOME": "/tmp"})
    assert "shell-ok" in done.stdout, done.stderr[-500:]
