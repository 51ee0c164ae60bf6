"""Django's user admin with the groups as a plain multiple select (no JavaScript widget), so a
role is one choice on the user's page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

User = get_user_model()


class PlainUserAdmin(UserAdmin):  # type: ignore[type-arg]
    filter_horizontal = ()


admin.site.unregister(User)
admin.site.register(User, PlainUserAdmin)
