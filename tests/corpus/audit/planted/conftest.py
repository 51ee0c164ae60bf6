"""Fixtures for the shop's end-to-end checks (Playwright through pytest-playwright)."""

import re
import time
from pathlib import Path

import pytest
from flows.auth import sign_in
from pytest_httpserver import HTTPServer

STATE_FILE = Path(__file__).parent / "auth" / "state.json"
ADMIN_EMAIL = "ops-admin@acme.test"
ADMIN_PASSWORD = "Adm1n!Spring2024"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # skip the login page: every context starts as the QA user
    return {**browser_context_args, "storage_state": str(STATE_FILE)}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)


@pytest.fixture
def signed_in_page(page):
    page.route("**/api/session", lambda route: route.fulfill(json={"authenticated": True}))
    page.goto("/dashboard")
    return page


@pytest.fixture
def payment_gateway(httpserver: HTTPServer):
    httpserver.expect_request("/v1/charges").respond_with_json({"status": "succeeded"})
    return httpserver.url_for("/v1")


@pytest.fixture
def admin_page(browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield page
    context.close()


@pytest.fixture
def quiet_page(page):
    """No banners, no trackers: screenshots stay stable."""
    page.route("**/api/banners", lambda route: route.fulfill(json={"banners": []}))  # audit: allow
    page.route("**/api/status", lambda route: route.fulfill(status=503))  # audit: allow the outage banner cannot be caused on staging; only its UI is checked
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    page.route(re.compile(r"^https://www\.google-analytics\.com/"), lambda route: route.abort())
    yield page
    page.unroute("**/*")
