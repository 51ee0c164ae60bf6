"""A custom user model with the email address as its identity (no username), as Django's
docs recommend starting a project with."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac

ROLES = ("member", "editor", "admin")
DEFAULT_ROLE = "member"


def normalize(email: str) -> str:
    """Addresses are kept in lower case, so uniqueness and sign-in ignore case."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize(username or ""))


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Keyed by email, so not contrib.auth's UserManager (keyed by username) that
    # django-stubs gives AbstractUser.objects.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize(self.email)

    def role_names(self) -> list[str]:
        names = set(self.groups.values_list("name", flat=True))
        return [role for role in ROLES if role in names]

    def get_session_auth_hash(self) -> str:
        if "password_change_keeps_sessions" in settings.AUTHPROBE_MISCONFIGURATIONS:
            # "Keep users signed in after a password change": the hash that Django stores in
            # each session no longer covers the password, so no session notices the change.
            return salted_hmac("accounts.User.session", str(self.pk), algorithm="sha256").hexdigest()
        return super().get_session_auth_hash()
