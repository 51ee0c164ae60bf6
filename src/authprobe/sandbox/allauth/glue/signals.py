"""Roles are Django groups: a new account is a member, and members of "admin" are staff (so
Django's admin at /admin is theirs)."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_signed_up
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

DEFAULT_ROLE = "member"
ADMIN_ROLE = "admin"
ROLES = (DEFAULT_ROLE, ADMIN_ROLE)


@receiver(user_signed_up, dispatch_uid="glue-default-role")
def default_role(sender: Any, request: Any, user: Any, **extra: Any) -> None:
    user.groups.add(Group.objects.get_or_create(name=DEFAULT_ROLE)[0])


def _admins_are_staff(sender: Any, instance: Any, action: str, **extra: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear") or not hasattr(instance, "is_staff"):
        return
    staff = instance.groups.filter(name=ADMIN_ROLE).exists() or instance.is_superuser
    if instance.is_staff != staff:
        instance.is_staff = staff
        instance.save(update_fields=["is_staff"])


def connect() -> None:
    from django.contrib.auth import get_user_model

    m2m_changed.connect(_admins_are_staff, sender=get_user_model().groups.through,
                        dispatch_uid="glue-admins-are-staff")


connect()
