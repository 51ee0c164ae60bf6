"""Signing in, and the API session the checks use next to the browser."""

import os
import time

import requests
from pages.login_page import LoginPage

API_URL = os.environ.get("SHOP_API_URL", "https://staging.shop.acme.io/api")
SERVICE_TOKEN = os.environ.get("SHOP_SERVICE_TOKEN", "svc-9f8e7d6c5b4a39281706")


def sign_in(page, email, password):
    login = LoginPage(page)
    login.open()
    login.sign_in(email, password)
    page.wait_for_url("**/dashboard")


def api_session(email: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer 2b7e151628aed2a6abf7158809cf4f3c"})
    session.headers["X-Requested-By"] = email
    return session


def admin_console_url(host: str) -> str:
    return f"https://ops:C0nsole-Pass@{host}/admin"


def wait_for_sync() -> None:
    time.sleep(2)
