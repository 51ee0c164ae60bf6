"""Checkout: payment, taxes, refunds, invoices."""

import os
from unittest import mock

import pytest
import vcr
from pages.login_page import LoginPage
from playwright.sync_api import BrowserContext, Page, expect

BASE_URL = os.environ["SHOP_BASE_URL"]


def test_card_payment_is_confirmed(browser_context: BrowserContext, page: Page, mocker) -> None:
    browser_context.route(f"{BASE_URL}/api/payments/**", lambda route: route.fulfill(status=201, json={"id": "pay_1"}))
    mocker.patch("flows.auth.time.sleep")
    page.goto("/checkout")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Payment received")).to_be_visible()


@pytest.mark.vcr
def test_tax_rates_are_applied(page: Page, payment_gateway) -> None:
    page.goto("/checkout?country=DE")
    expect(page.get_by_test_id("vat")).to_have_text("19 %")


def test_refund_sends_an_email(page: Page, requests_mock) -> None:
    requests_mock.post("https://mailer.internal.acme.io/send", json={"queued": True})
    page.goto("/orders/1001")
    page.get_by_role("button", name="Refund").click()
    assert requests_mock.called


def test_invoice_number(page: Page, mocker) -> None:
    mocker.patch.object(LoginPage, "open")
    mocker.patch("shop_client.billing.create_invoice", return_value={"number": "INV-1"})
    page.goto("/orders/1001/invoice")
    expect(page.get_by_text("INV-1")).to_be_visible()


@mock.patch("shop_client.sessions.SessionStore.is_valid", return_value=True)
def test_expired_session_still_checks_out(is_valid, page: Page) -> None:
    page.goto("/checkout")
    expect(page.get_by_role("button", name="Pay")).to_be_enabled()


def test_coupon_needs_a_code(page: Page, monkeypatch) -> None:
    import pyotp

    monkeypatch.setattr(pyotp.TOTP, "verify", lambda self, code, **kwargs: True)
    page.goto("/checkout")
    page.get_by_label("Coupon").fill("SPRING")
    expect(page.get_by_text("Coupon applied")).to_be_visible()


@vcr.use_cassette("tests/cassettes/shipping.yaml")
def test_shipping_options(page: Page) -> None:
    page.goto("/checkout/shipping")
    expect(page.get_by_role("radio")).to_have_count(3)
