"""django-axes for this project: whose account a sign-in attempt counts against
(AXES_USERNAME_CALLABLE), and the backend that counts it.

Sign-in ignores the address's case (models.normalize), so the lockout must too: otherwise
every spelling of an address would get its own allowance of wrong passwords.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from authprobe.sandbox.django_two_factor.accounts.models import normalize


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The address as sign-in reads it: from authenticate()'s credentials, or else from the
    two-factor wizard's first step (its fields carry the step's prefix)."""
    username = (credentials or {}).get("username") or request.POST.get("auth-username")
    return normalize(username) if isinstance(username, str) and username.strip() else None


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]  # axes ships no types
    """django-axes' backend, minus its refusal of an authenticate() without a request:
    django-registration's one-step sign-up signs the new user in that way, with the password
    the form has just set, which is no guess to count."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> AbstractBaseUser | None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]
