"""Dashboard: widgets by role, feature flags, the header."""

import re

from playwright.sync_api import BrowserContext, Page, Route, expect


def grant_everything(route: Route) -> None:
    if "/permissions" in route.request.url:
        route.fulfill(json={"roles": ["admin"], "can": ["*"]})
    else:
        route.continue_()


def no_images(route: Route) -> None:
    if route.request.resource_type == "image":
        route.abort()
    else:
        route.continue_()


def test_admin_widgets_are_shown(context: BrowserContext, page: Page) -> None:
    context.route("**/*", grant_everything)
    page.goto("/dashboard")
    expect(page.get_by_test_id("admin-widgets")).to_be_visible()


def test_new_navigation_behind_flag(context: BrowserContext, page: Page) -> None:
    context.route(re.compile(r".*/api/feature-flags.*"), lambda route: route.fulfill(json={"new_nav": True}))
    page.goto("/dashboard")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_dashboard_renders_without_images(page: Page) -> None:
    page.route("**/*", no_images)
    page.goto("/dashboard")
    expect(page.get_by_role("main")).to_be_visible()


def test_header_greets_the_user(page: Page) -> None:
    page.route(lambda url: url.endswith("/api/me"), lambda route: route.fulfill(json={"name": "Jane"}))
    page.goto("/dashboard")
    expect(page.get_by_text("Hello, Jane")).to_be_visible()


def test_orders_table(page: Page) -> None:
    page.route_from_har("tests/data/orders.har", url="**/api/orders**")
    page.goto("/orders")
    expect(page.get_by_role("row")).to_have_count(11)


def test_cart_v2(page: Page) -> None:
    page.route(
        "https://staging.shop.acme.io/api/cart/**",
        lambda route: route.continue_(headers={**route.request.headers, "X-Cart-Version": "2"}),
    )
    page.goto("/cart")
    expect(page.get_by_test_id("cart-v2")).to_be_visible()


def test_dashboard_calls_only_its_api(page: Page) -> None:
    seen = []
    page.route("**/api/**", lambda route: (seen.append(route.request.url), route.continue_()))
    page.goto("/dashboard")
    assert all("/api/" in url for url in seen)
