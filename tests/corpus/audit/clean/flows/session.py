"""Sessions as the browser earned them."""

from playwright.sync_api import BrowserContext


def session_cookie(context: BrowserContext, name: str = "shop_session") -> str | None:
    for cookie in context.cookies():
        if cookie["name"] == name:
            return cookie["value"]
    return None


def save_state(context: BrowserContext, path: str) -> None:
    """Kept with the failed test's artifacts, never loaded back."""
    context.storage_state(path=path)
