"""IdP users are Django's own users: the email is the username (lower case), the name is
first_name, and a verified address is membership of the "email-verified" group (a flag
Django's user has no field for, kept without a table of our own).

Ending a user's IdP presence means what a real IdP's admin "sign out" does: every browser
session goes, and every access and refresh token the user holds is revoked, so the next
refresh by any relying party fails with invalid_grant.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken  # type: ignore[import-untyped, unused-ignore]

VERIFIED_GROUP = "email-verified"


def find(email: str) -> User | None:
    return User.objects.filter(username=email.strip().lower()).first()


def email_verified(user: Any) -> bool:
    return bool(user.groups.filter(name=VERIFIED_GROUP).exists())


def create(email: str, password: str, *, verified: bool, name: str) -> User:
    with transaction.atomic():
        user = User.objects.create_user(username=email.strip().lower(), email=email.strip().lower(),
                                        password=password, first_name=name)
        if verified:
            user.groups.add(Group.objects.get_or_create(name=VERIFIED_GROUP)[0])
    return user


def live_sessions(user: User) -> list[Session]:
    """The user's unexpired browser sessions at the IdP (database sessions, decoded)."""
    return [session for session in Session.objects.filter(expire_date__gt=timezone.now())
            if session.get_decoded().get("_auth_user_id") == str(user.pk)]


def sign_out_everywhere(user: User) -> None:
    """End every IdP session of the user and revoke every token DOT issued to them."""
    with transaction.atomic():
        for session in live_sessions(user):
            session.delete()
        for refresh in RefreshToken.objects.filter(user=user, revoked__isnull=True):
            refresh.revoke()  # also deletes its access token
        for access in AccessToken.objects.filter(user=user):
            access.revoke()
