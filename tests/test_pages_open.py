"""Page objects open at their declared path, and a goto answers the screens registered as
interruptions (the re-authentication prompt) without base.py importing them. No browser:
a recording stand-in for Playwright's Page."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

import authprobe.pages.base
from authprobe.pages.account import AccountShell
from authprobe.pages.admin import AdminPage, ForbiddenPage
from authprobe.pages.base import Screen, answer_interruptions
from authprobe.pages.login import LoginPage
from authprobe.pages.password import PasswordChangePage
from authprobe.pages.reset import ResetRequestPage
from authprobe.profile import Paths, TargetProfile

ROOT = Path(__file__).resolve().parent.parent


class RecordingPage:
    """Records what a page object asks of the browser; every screen counts as loaded."""

    def __init__(self) -> None:
        self.visited: list[str] = []

    def goto(self, url: str) -> None:
        self.visited.append(url)

    def wait_for_load_state(self, state: str) -> None:
        pass


def _page() -> tuple[RecordingPage, Page]:
    recording = RecordingPage()
    page: Any = recording
    return recording, page


@pytest.fixture
def proven(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The screens whose expect_loaded ran."""
    seen: list[str] = []
    monkeypatch.setattr(Screen, "expect_loaded", lambda self: seen.append(self.screen))
    return seen


def test_open_goes_to_the_declared_path_and_proves_the_screen(proven: list[str]) -> None:
    profile = TargetProfile(name="t", paths=Paths(password_change="/me/password", reset_request="/forgot"))
    recording, page = _page()
    PasswordChangePage(page, profile).open()
    ResetRequestPage(page, profile).open()
    LoginPage(page, profile).open("/account")
    assert recording.visited == ["/me/password", "/forgot", "/login?next=/account"]
    assert proven == ["password_change", "reset_request", "login"]


def test_the_account_shell_opens_without_proving_it_is_signed_in(proven: list[str]) -> None:
    recording, page = _page()
    AccountShell(page, TargetProfile(name="t")).open()  # a stranger sees whatever is there
    assert (recording.visited, proven) == (["/account"], [])


def test_a_screen_whose_path_the_profile_leaves_unset_says_so() -> None:
    _, page = _page()
    with pytest.raises(LookupError, match=r"\[paths\] sets no admin, so authprobe cannot open the admin"):
        AdminPage(page, TargetProfile(name="t", paths=Paths(admin=None))).open()
    with pytest.raises(TypeError, match="ForbiddenPage has no path of its own"):
        ForbiddenPage(page, TargetProfile(name="t")).open()


def test_a_goto_answers_every_registered_interruption(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def prompt(answers: bool) -> Any:
        def answer(page: Page, profile: TargetProfile) -> bool:
            asked.append(f"{profile.name}:{answers}")
            return answers
        return answer

    monkeypatch.setattr(authprobe.pages.base, "_INTERRUPTIONS", [prompt(True), prompt(False)])
    _, page = _page()
    assert answer_interruptions(page, TargetProfile(name="t")) is True
    Screen(page, TargetProfile(name="u")).goto("/x")
    assert asked == ["t:True", "t:False", "u:True", "u:False"]


def test_the_reauth_prompt_is_registered_though_base_does_not_import_it() -> None:
    base = ROOT / "pages" / "base.py"
    imported = {node.module for node in ast.walk(ast.parse(base.read_text()))
                if isinstance(node, ast.ImportFrom)}
    assert "authprobe.pages.reauth" not in imported
    code = ("import authprobe.pages.base as base\n"
            "print([f'{f.__module__}.{f.__name__}' for f in base._INTERRUPTIONS])")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip()
    assert shown == "['authprobe.pages.reauth.answer_reauth_prompt']"
