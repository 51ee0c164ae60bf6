"""New accounts get the default role (a Django group), whichever registration workflow."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.dispatch import receiver
from django_registration.signals import user_registered

from authprobe.sandbox.django_two_factor.accounts.models import DEFAULT_ROLE


@receiver(user_registered, dispatch_uid="accounts-default-role")
def default_role(sender: Any, user: Any, request: Any, **extra: Any) -> None:
    group, _ = Group.objects.get_or_create(name=DEFAULT_ROLE)
    user.groups.add(group)
