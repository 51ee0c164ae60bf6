"""Sign-in, sign-out and the remembered session."""

import os

from flows.auth import sign_in
from playwright.sync_api import Page, expect


def test_customer_can_sign_in(page: Page) -> None:
    sign_in(page, "jane.doe@acme.test", "Winter-is-c0ming")
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()


def test_wrong_password_is_refused(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", "jane.doe@acme.test")
    page.fill("input[type=password]", "not-her-password")  # audit: allow deliberately wrong; the refusal is what is checked
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("Invalid email or password")


def test_locked_account_is_explained(page: Page) -> None:
    pw = "L0cked-0ut!"
    page.goto("/login")
    page.fill("#email", "locked@acme.test")
    page.fill("#password", pw)
    page.click("button[type=submit]")
    expect(page.get_by_text("Your account is locked")).to_be_visible()


def test_session_survives_reload(context, page: Page) -> None:
    context.add_cookies([{"name": "shop_session", "value": os.environ["SHOP_SESSION"],
                          "url": "https://staging.shop.acme.io"}])
    page.goto("/account")
    page.reload()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def test_remember_me_keeps_the_user(page: Page) -> None:
    page.add_init_script(
        "window.localStorage.setItem('auth_token', "
        "'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLXBhcnQ')"
    )
    page.goto("/account")
    expect(page.get_by_text("Signed in as jane.doe@acme.test")).to_be_visible()


def test_sign_out_ends_the_session(page: Page) -> None:
    page.goto("/")
    page.evaluate(
        "([name, value]) => { document.cookie = `${name}=${value}; path=/`; }",
        ["shop_session", os.environ["SHOP_SESSION"]],
    )
    page.goto("/account")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
