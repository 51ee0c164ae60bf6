"""The oracle: it must fail loudly when UI and backend disagree, showing both sides."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from harness.errors import SessionProbeError
from harness.journey import Journey
from harness.oracle import (
    AuthMismatch,
    BackendSession,
    Expected,
    SessionView,
    UiSession,
    assert_consistent,
    json_pointer,
    parse_session_answer,
)
from harness.profile import SessionProbe, load_profile
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


def test_json_pointer_reads_nested_members_and_missing_as_none() -> None:
    doc = {"user": {"email": "a@b", "roles": ["x"]}, "a/b": 1}
    assert json_pointer(doc, "/user/email") == "a@b"
    assert json_pointer(doc, "/user/roles/0") == "x"
    assert json_pointer(doc, "/a~1b") == 1
    assert json_pointer({"user": None}, "/user/email") is None


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
