"""Sign-in and sign-out through the UI, with people from the environment."""

import secrets

import pytest
from pages.login_page import LoginPage
from playwright.sync_api import Page, expect

from flows.session import session_cookie


def test_customer_can_sign_in(signed_in_page: Page) -> None:
    expect(signed_in_page.get_by_role("heading", name="Your orders")).to_be_visible()


def test_wrong_password_is_refused(page: Page, customer) -> None:
    login = LoginPage(page)
    login.open()
    login.sign_in(customer.email, "wrong-" + secrets.token_hex(4))
    assert "Invalid email or password" in login.error()


def test_leaked_password_is_refused(page: Page, customer) -> None:
    login = LoginPage(page)
    login.open()
    login.sign_in(customer.email, "hunter2")  # audit: allow a famous leaked password, wrong for everyone here
    assert "Invalid email or password" in login.error()


def test_sign_out_ends_the_session(signed_in_page: Page) -> None:
    before = session_cookie(signed_in_page.context)
    signed_in_page.get_by_role("button", name="Sign out").click()
    assert session_cookie(signed_in_page.context) != before


def test_login_page_is_quick(page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LoginPage, "timeout_ms", 3_000)
    LoginPage(page).open()
    expect(page.get_by_label("Email")).to_be_visible()
