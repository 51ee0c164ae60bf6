"""Browser contexts that skip the login page."""

import os

from playwright.sync_api import Browser, BrowserContext

BASE_URL = os.environ["SHOP_BASE_URL"]


def remembered_context(browser: Browser) -> BrowserContext:
    return browser.new_context(
        base_url=BASE_URL,
        storage_state="auth/state.json",
    )


def api_context(browser: Browser) -> BrowserContext:
    return browser.new_context(
        base_url=BASE_URL,
        extra_http_headers={"Cookie": f"shop_session={os.environ['SHOP_SESSION']}"},
    )
