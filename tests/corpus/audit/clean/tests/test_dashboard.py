"""The dashboard, as the real backend serves it."""

from playwright.sync_api import Page, expect


def test_dashboard_calls_only_its_own_api(signed_in_page: Page) -> None:
    seen: list[str] = []
    signed_in_page.route("**/api/**", lambda route: (seen.append(route.request.url), route.continue_()))
    signed_in_page.goto("/dashboard")
    expect(signed_in_page.get_by_role("main")).to_be_visible()
    assert seen and all(url.startswith("http://localhost:8000/") for url in seen)


def test_new_user_sees_onboarding(page: Page, throwaway_user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(throwaway_user["email"])
    page.get_by_label("Password").fill(throwaway_user["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
