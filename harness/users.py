"""Throwaway users: created through the fastest honest channel, always removed.

Every user a run creates (by admin API or by UI sign-up) is registered here and
deleted at the end; a failed removal is reported, never swallowed.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from harness.httpops import OperationFailed, call
from harness.mail import Inbox
from harness.profile import AdminApi


def new_password(length: int = 20) -> SecretStr:
    """A strong random password with every character class the policy may ask for."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    core = "".join(secrets.choice(alphabet) for _ in range(length - 4))
    return SecretStr(core + "aZ9!")


@dataclass(frozen=True)
class ThrowawayUser:
    email: str
    password: SecretStr
    role: str


class UserAdmin:
    """The profile's admin operations, called with the admin token."""

    def __init__(
        self, request: APIRequestContext, api: AdminApi, token: SecretStr, timeout_s: float
    ) -> None:
        self._request = request
        self._api = api
        self._token = token
        self._timeout_s = timeout_s
        self.created: list[str] = []

    def _headers(self) -> dict[str, str]:
        return {self._api.token_header: self._api.token_prefix + self._token.get_secret_value()}

    def create(self, email: str, password: SecretStr, role: str) -> ThrowawayUser:
        values = {"email": email, "password": password.get_secret_value(), "role": role}
        call(self._request, self._api.create_user, values, self._headers(),
             timeout_s=self._timeout_s, what=f"creating user {email}")
        self.created.append(email)
        return ThrowawayUser(email, password, role)

    def set_role(self, email: str, role: str) -> None:
        call(self._request, self._api.set_role, {"email": email, "role": role}, self._headers(),
             timeout_s=self._timeout_s, what=f"setting role of {email} to {role}")

    def delete(self, email: str) -> None:
        call(self._request, self._api.delete_user, {"email": email}, self._headers(),
             timeout_s=self._timeout_s, what=f"deleting user {email}")

    def track(self, email: str) -> None:
        """Register a user created through the UI so it is removed too."""
        if email not in self.created:
            self.created.append(email)

    def remove_all(self) -> list[str]:
        """Delete every tracked user; returns one line per failed removal."""
        failures = []
        for email in list(self.created):
            try:
                self.delete(email)
                self.created.remove(email)
            except OperationFailed as exc:
                failures.append(str(exc))
        return failures


class ThrowawayUsers:
    """Throwaway users for one test, removed at its end (also the ones signed up via UI)."""

    def __init__(self, admin: UserAdmin, inbox: Inbox, default_role: str) -> None:
        self.admin = admin
        self._inbox = inbox
        self._default_role = default_role

    def address(self, tag: str) -> str:
        """A fresh plus-address that will be cleaned up even if only the UI creates it."""
        email = self._inbox.address(tag)
        self.admin.track(email)
        return email

    def create(self, role: str | None = None, tag: str = "user") -> ThrowawayUser:
        return self.admin.create(self.address(tag), new_password(), role or self._default_role)
