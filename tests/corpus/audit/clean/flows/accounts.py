"""Throwaway users through the admin API; its token comes from the environment."""

import os
import secrets

import httpx

ADMIN_API_URL = os.environ.get("E2E_ADMIN_API_URL", "http://localhost:8000/admin/api")


def _client() -> httpx.Client:
    token = os.environ["E2E_ADMIN_TOKEN"]
    return httpx.Client(base_url=ADMIN_API_URL, headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def create_throwaway_user() -> dict[str, str]:
    password = secrets.token_urlsafe(16)
    email = f"e2e+{secrets.token_hex(4)}@{os.environ['E2E_MAIL_DOMAIN']}"
    with _client() as client:
        client.post("/users", json={"email": email, "password": password}).raise_for_status()
    return {"email": email, "password": password}


def delete_user(email: str) -> None:
    with _client() as client:
        client.delete(f"/users/{email}").raise_for_status()
