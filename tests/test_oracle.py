"""The oracle: it must fail loudly when UI and backend disagree, showing both sides."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from authprobe.errors import AuthMismatch, SessionProbeError
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import (
    BackendSession,
    Expected,
    SessionView,
    assert_consistent,
    parse_roles_answer,
    parse_session_answer,
    select,
)
from authprobe.pages.account import UiSession
from authprobe.pages.locate import read_value, read_value_if_present
from authprobe.profile import LocatorSpec, SessionProbe, load_profile
from tests.webserver import serve

PROFILE = load_profile("sandbox")
SIGNED_IN = json.dumps({"authenticated": True, "user": {"email": "b@example.com", "roles": ["member"]}})
SIGNED_OUT = json.dumps({"authenticated": False, "user": None})
SHELL = '<header><span data-testid="current-user">{email}</span></header><h1>Your account</h1>'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield launched
        launched.close()


def test_selectors_read_nested_members_filters_and_missing_as_none() -> None:
    doc = {"user": {"email": "a@b", "roles": ["x"]}, "pending": [{"type": "otp"}, {"type": "tos"}]}
    assert select(doc, "user.email") == "a@b"
    assert select(doc, "user.roles[0]") == "x"
    assert select(doc, "pending[?type=='otp']") == [{"type": "otp"}]
    assert select({"user": None}, "user.email") is None


def test_a_signed_out_status_with_pending_steps_reads_as_mfa_pending() -> None:
    probe = SessionProbe(url="/api/me", authenticated=None, email="email",
                         mfa_pending="pending[?type=='second_factor'] | length(@) > `0`")
    anonymous = json.dumps({"detail": "not signed in", "pending": [{"type": "second_factor"}]})
    view = parse_session_answer(probe, 401, "application/json", anonymous, "/api/me")
    assert (view.authenticated, view.mfa_pending) == (False, True)
    signed_in = parse_session_answer(probe, 200, "application/json",
                                     json.dumps({"email": "a@b", "pending": []}), "/api/me")
    assert (signed_in.authenticated, signed_in.email, signed_in.mfa_pending) == (True, "a@b", False)


def test_an_unlisted_error_status_is_a_fault_not_a_signed_out_answer() -> None:
    with pytest.raises(SessionProbeError, match="HTTP 500: the backend failed"):
        parse_session_answer(SessionProbe(), 500, "application/json", "{}", "/api/session")


def test_roles_from_a_second_endpoint() -> None:
    probe = SessionProbe(roles="groups[].name", roles_url="/api/me")
    me = json.dumps({"groups": [{"name": "editor"}, {"name": "member"}]})
    assert parse_roles_answer(probe, 200, "application/json", me, "/api/me") == ("editor", "member")
    assert parse_roles_answer(probe, 401, "application/json", "{}", "/api/me") is None


def test_json_pointers_are_refused_with_their_jmespath_spelling() -> None:
    with pytest.raises(ValueError, match="'user.email'"):
        SessionProbe(email="/user/email")
    with pytest.raises(ValueError, match="session_probe.roles is not a JMESPath"):
        SessionProbe(roles="user.[")


def test_mismatch_message_shows_both_sides() -> None:
    ui = SessionView("ui", True, "a@example.com", ("member",), evidence="shown at /account")
    backend = SessionView("backend", False, evidence="GET /api/session → 200")
    with pytest.raises(AuthMismatch) as caught:
        assert_consistent(ui, backend, step="sign out")
    message = str(caught.value)
    assert "after step 'sign out'" in message
    assert "ui: signed in as a@example.com" in message and "backend: signed out" in message


def test_consistent_views_that_contradict_the_expectation_fail() -> None:
    ui = SessionView("ui", True, "a@example.com")
    backend = SessionView("backend", True, "A@example.com")
    assert_consistent(ui, backend, Expected(True, "a@example.com"))
    with pytest.raises(AuthMismatch, match="expected b@example.com"):
        assert_consistent(ui, backend, Expected(True, "b@example.com"))
    with pytest.raises(AuthMismatch, match="disagree on who"):
        assert_consistent(ui, SessionView("backend", True, "b@example.com"))


def test_html_session_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(SessionProbeError, match="answered text/html.*set session_probe.url"):
        parse_session_answer(SessionProbe(), 200, "text/html", "<html>", "http://x/api/session")


def test_oracle_fails_on_a_page_whose_ui_and_backend_disagree(browser: Browser) -> None:
    """A deliberately inconsistent target: the page shows a user, the backend says nobody."""
    routes = {
        "/account": (200, "text/html", SHELL.format(email="a@example.com")),
        "/api/session": (200, "application/json", SIGNED_OUT),
    }
    with serve(routes) as base_url:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        trip = Journey("inconsistent", UiSession(page, PROFILE),
                       BackendSession(context.request, PROFILE.session_probe, 5))
        with pytest.raises(AuthMismatch) as caught, trip.step("open account"):
            page.goto("/account")
        context.close()
    assert "ui: signed in as a@example.com" in str(caught.value)
    assert "backend: signed out" in str(caught.value)
    assert trip.records[-1].outcome == "mismatch"


def test_oracle_fails_when_ui_and_backend_name_different_users(browser: Browser) -> None:
    routes = {
        "/account": (200, "text/html", SHELL.format(email="a@example.com")),
        "/api/session": (200, "application/json", SIGNED_IN),
    }
    with serve(routes) as base_url:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/account")
        ui = UiSession(page, PROFILE).read()
        backend = BackendSession(context.request, PROFILE.session_probe, 5).read()
        context.close()
    with pytest.raises(AuthMismatch, match="disagree on who is signed in"):
        assert_consistent(ui, backend)


def test_oracle_passes_on_a_consistent_page(browser: Browser) -> None:
    routes = {
        "/account": (200, "text/html", SHELL.format(email="b@example.com")),
        "/api/session": (200, "application/json", SIGNED_IN),
    }
    with serve(routes) as base_url:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        trip = Journey("consistent", UiSession(page, PROFILE),
                       BackendSession(context.request, PROFILE.session_probe, 5))
        with trip.step("open account", Expected(True, "b@example.com")):
            page.goto("/account")
        context.close()
    assert trip.records[-1].outcome == "ok"


def test_the_shell_reads_identity_out_of_a_sentence_and_roles_from_a_second_endpoint(
    browser: Browser,
) -> None:
    """A shell that says 'Signed in as …' and a backend whose roles live at /api/me."""
    profile = PROFILE.model_copy(update={
        "locators": {"shell": {
            "current_user": LocatorSpec(css="nav span", pattern=r"Signed in as (\S+)"),
            "current_roles": LocatorSpec(text="Role:", exact=False, pattern=r"Role: (.+)")}},
        "session_probe": SessionProbe(url="/api/status", authenticated=None, email="email",
                                      roles="groups[].name", roles_url="/api/me")})
    routes = {
        "/account": (200, "text/html", "<nav><span>Signed in as b@example.com</span></nav>"
                     "<p>Role: editor</p>"),
        "/api/status": (200, "application/json", json.dumps({"email": "b@example.com"})),
        "/api/me": (200, "application/json", json.dumps({"groups": [{"name": "member"}]})),
    }
    with serve(routes) as base_url:
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/account")
        ui = UiSession(page, profile).read()
        backend = BackendSession(context.request, profile.session_probe, 5).read()
        context.close()
    assert (ui.email, ui.roles) == ("b@example.com", ("editor",))
    assert (backend.email, backend.roles) == ("b@example.com", ("member",))
    with pytest.raises(AuthMismatch, match="disagree on the user's roles"):
        assert_consistent(ui, backend)


def test_values_are_read_as_the_app_shows_them_in_one_round_trip_each(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content('<input id="i" value="typed"><textarea id="t">long text</textarea>'
                     '<p id="p" data-who="a@example.com">Role: <b>admin</b></p>')
    assert read_value(page.locator("#i"), LocatorSpec(css="#i")) == "typed"
    assert read_value(page.locator("#t"), LocatorSpec(css="#t")) == "long text"
    assert read_value(page.locator("#p"), LocatorSpec(css="#p")) == "Role: admin"
    assert read_value(page.locator("#p"), LocatorSpec(css="#p", attribute="data-who")) == "a@example.com"
    picked = LocatorSpec(css="#p", pattern=r"Role: (\w+)")
    assert read_value_if_present(page.locator("#p"), picked) == "admin"
    assert read_value_if_present(page.locator("#none"), picked) is None
    assert read_value(page.locator("#p"), LocatorSpec(css="#p", pattern=r"Group: (\w+)")) == ""
    page.evaluate("setTimeout(() => document.body.insertAdjacentHTML('beforeend', "
                  "'<span id=late>arrived</span>'), 300)")
    assert read_value(page.locator("#late"), LocatorSpec(css="#late")) == "arrived"  # waits for it
    page.close()
