"""Forms and menus as apps build them (issue 26): further sign-up fields with per-user values,
elements reached through steps, an element declared absent, a locator that finds nothing
naming its screen, element and the page's nearest candidates, a form the browser refuses
naming its invalid fields, URL-encoded recipe placeholders, and a failure that follows an
earlier finding saying so. Real Chromium on set content, no server: each test is quick."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

from authprobe.errors import ElementNotFound, FormRefused
from authprobe.flows import symptoms
from authprobe.pages.account import AccountShell
from authprobe.pages.login import LoginPage
from authprobe.pages.password import PasswordChangePage
from authprobe.pages.recipe import RecipeScreen
from authprobe.pages.signup import SignupPage
from authprobe.plugin.consequences import explain
from authprobe.profile import ScreenRecipe, TargetProfile

SHORT_MS = 1_500  # how long a locator waits here: the pages are set content, all there at once


@pytest.fixture
def page(chromium: tuple[Playwright, Browser]) -> Iterator[Page]:
    context = chromium[1].new_context()
    page = context.new_page()
    page.set_default_timeout(SHORT_MS)
    yield page
    context.close()


def profile(**tables: Any) -> TargetProfile:
    return TargetProfile.model_validate({"name": "t", **tables})


SIGNUP = """<h1>Create an account</h1><form onsubmit="document.title='sent'; return false">
<label for=e>Email</label><input id=e type=email required>
<label for=p>Password</label><input id=p type=password required>
<label for=u>User name</label><input id=u name=user_name required>
<label for=f>First name *</label><input id=f name=first_name required>
<button type=submit>Sign up</button></form>"""


def test_a_form_the_browser_refuses_names_its_invalid_fields(page: Page) -> None:
    page.set_content(SIGNUP)
    with pytest.raises(FormRefused) as refused:
        SignupPage(page, profile()).sign_up("qa+x-1@example.test", "a long password 1!")
    said = str(refused.value)
    assert "User name (" in said and "First name *" in said and "[signup.fields]" in said
    assert page.title() != "sent"


def test_further_signup_fields_are_filled_with_values_unique_per_user(page: Page) -> None:
    fields = {"fields": {
        "user_name": {"locator": {"label": "User name"}, "value": "ap{unique}"},
        "first_name": {"locator": {"label": "First name", "exact": False}, "value": "Test {tag}"}}}
    target = profile(signup=fields)
    page.set_content(SIGNUP)
    SignupPage(page, target).sign_up("qa+signup-3f2a-r9@example.test", "a long password 1!")
    assert page.title() == "sent"
    name = page.get_by_label("User name").input_value()
    assert name == target.signup.values_for("qa+signup-3f2a-r9@example.test")["user_name"]
    assert name != target.signup.values_for("qa+signup-3f2b-r9@example.test")["user_name"]
    assert page.get_by_label("First name", exact=False).input_value() == "Test signup3f2ar9"


ICON = """<h1>Sign in</h1><label for=e>Email</label><input id=e>
<label for=p>Password</label><input id=p type=password>
<button type=button><span class=icon>login</span> Sign in</button><button>Sign up</button>"""


def test_a_locator_that_finds_nothing_names_screen_element_and_nearest_candidates(page: Page) -> None:
    page.set_content(ICON)
    with pytest.raises(ElementNotFound) as missing:
        LoginPage(page, profile()).sign_in("qa@example.test", "password")  # type: ignore[arg-type]
    said = str(missing.value)
    assert "the login screen's submit_button" in said and "[locators.login] submit_button" in said
    assert "nearest buttons on the page: 'login Sign in'" in said
    assert "exact = false would match 'login Sign in'" in said


def test_an_element_with_steps_is_reached_through_them(page: Page) -> None:
    page.set_content("""<h1>Your account</h1><details><summary>User menu</summary>
        <button onclick="document.title='out'">Sign out</button></details>""")
    target = profile(locators={"shell": {"sign_out_button": {
        "role": "button", "name": "Sign out", "steps": [{"click": {"text": "User menu"}}]}}})
    AccountShell(page, target).sign_out()
    assert page.title() == "out"


CONFIRMING = """<h1>Email Addresses</h1><nav><a href="#" onclick="document.body.innerHTML =
    '<h1>Sign Out</h1><p>Are you sure?</p>'
    + '<button onclick=&quot;document.title=\\'out\\'&quot;>Sign Out</button>';
    return false">Sign Out</a></nav>"""


def test_looking_at_an_element_never_plays_its_steps_and_acting_does(page: Page) -> None:
    """allauth's sign-out: a link to a confirmation page holding the button. Looking whether the
    user is signed in played the steps (followed the link) and left the page being read."""
    page.set_content(CONFIRMING)
    target = profile(identity={"absent_on": ["account"]}, locators={"shell": {"sign_out_button": {
        "role": "button", "name": "Sign Out", "steps": [{"click": {"role": "link", "name": "Sign Out"}}]}}})
    shell = AccountShell(page, target)
    assert not shell.sign_out_button.first.is_visible()  # looking: the page stays as it is
    assert shell.signed_in_mark.first.is_visible()  # what reaches the button shows: signed in
    assert page.get_by_role("heading").inner_text() == "Email Addresses"
    shell.sign_out()  # acting: the link, then the button on the confirmation page
    assert page.title() == "out"


def test_an_element_without_its_steps_is_named_when_it_cannot_be_pressed(page: Page) -> None:
    page.set_content("""<h1>Your account</h1><details><summary>User menu</summary>
        <button>Sign out</button></details>""")
    with pytest.raises(ElementNotFound, match=r"shell screen's sign_out_button"):
        AccountShell(page, profile()).sign_out()


CHANGE = """<h1>Change your password</h1><form onsubmit="document.title='changed'; return false">
<label for=n>New password</label><input id=n type=password required>
<button>Change password</button></form>"""


def test_a_password_change_without_current_password_is_declared_absent(page: Page) -> None:
    page.set_content(CHANGE)
    lacking = profile(locators={"password_change": {"current_password_field": False}})
    PasswordChangePage(page, lacking).change("old", "new password")
    assert page.title() == "changed"
    page.set_content(CHANGE)
    with pytest.raises(ElementNotFound, match="or set it to false"):
        PasswordChangePage(page, profile()).change("old", "new password")


class Recording:
    def __init__(self) -> None:
        self.visited: list[str] = []
        self.url = "http://t/admin"

    def goto(self, url: str) -> None:
        self.visited.append(url)

    def wait_for_load_state(self, state: str) -> None:
        pass


def test_recipe_placeholders_are_url_encoded_in_goto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("authprobe.pages.recipe.answer_interruptions", lambda page, profile: False)
    recording = Recording()
    page: Any = recording
    recipe = ScreenRecipe.model_validate({"steps": [{"goto": "/admin/users?email={email}&r={role}"}]})
    RecipeScreen(page, profile()).play(recipe, {"email": "qa+x@example.test", "role": "a&b c"})
    assert recording.visited == ["/admin/users?email=qa%2Bx@example.test&r=a%26b%20c"]


def test_a_later_failure_with_an_earlier_findings_symptom_says_so() -> None:
    findings: dict[str, str] = {}
    reports: list[Any] = []

    def failed(nodeid: str, seen: Callable[[], None]) -> Any:
        seen()
        report = pytest.TestReport(nodeid, ("f", 1, nodeid), {}, "failed", None, "call", [])
        explain(findings, nodeid, symptoms.take(), report)
        reports.append(report)
        return report

    symptom = "sign-up signs the new account in at once"
    first = failed("test_signup", lambda: symptoms.note(symptom))
    later = failed("test_sessions", lambda: symptoms.note(symptom))
    unrelated = failed("test_roles", lambda: None)
    assert first.sections == [] and unrelated.sections == []
    assert later.sections == [("authprobe: earlier finding", "likely a consequence of an earlier "
                               f"finding in this run (test_signup: {symptom}); fix that first")]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_plugin_marks_a_later_failure_with_the_same_symptom(
        pytester: pytest.Pytester, workers: list[str]) -> None:
    """Under xdist the two checks run on different workers: the symptoms travel on the reports."""
    pytester.makepyfile("""
        from authprobe.flows.symptoms import note

        def test_a_finding():
            note("sign-up signs the new account in at once")
            assert False, "the finding itself"

        def test_b_later():
            note("sign-up signs the new account in at once")
            assert False, "a locator found nothing"

        def test_c_other():
            assert False
    """)
    result = pytester.runpytest_subprocess("-p", "authprobe.plugin.consequences", "-p", "no:randomly",
                                           "-p", "no:authprobe", *workers)
    result.assert_outcomes(failed=3)
    said = result.stdout.str()
    assert said.count("likely a consequence of an earlier finding") == 1
    first = "test_a_finding" if not workers else "test_(a_finding|b_later)"  # whichever reported first
    module = r"test_the_plugin_marks_a_later_failure_with_the_same_symptom(\[\w+\])?\.py"
    assert re.search(rf"\({module}::{first}: sign-up signs the new account in at once\)", said), said
