"""Fixtures: people come from the environment, sign-in goes through the login page."""

import os
import re
from dataclasses import dataclass

import pytest
from flows.accounts import create_throwaway_user, delete_user
from pages.login_page import LoginPage
from playwright.sync_api import Page

TRACKERS = re.compile(r"^https://(www\.)?googletagmanager\.com/")


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


@pytest.fixture(scope="session")
def customer() -> Credentials:
    return Credentials(os.environ["E2E_USER_EMAIL"], os.environ["E2E_USER_PASSWORD"])


@pytest.fixture(autouse=True)
def no_third_party_trackers(context):
    """Trackers slow pages down and are not ours to test."""
    context.route("**/analytics.example.com/**", lambda route: route.abort())
    context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    context.route(TRACKERS, lambda route: route.abort())
    yield


@pytest.fixture
def signed_in_page(page: Page, customer: Credentials) -> Page:
    login = LoginPage(page)
    login.open()
    login.sign_in(customer.email, customer.password)
    page.wait_for_url("**/dashboard")
    return page


@pytest.fixture
def throwaway_user():
    created = create_throwaway_user()
    yield created
    delete_user(created["email"])
