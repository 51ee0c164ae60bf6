"""The custom user model in Django's admin, with Django's own UserAdmin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest

from authprobe.sandbox.django_two_factor.accounts.forms import UserAddForm, UserEditForm
from authprobe.sandbox.django_two_factor.accounts.models import DEFAULT_ROLE, User

if TYPE_CHECKING:  # generic in django-stubs only; Django's own class takes no subscript
    BaseUserAdmin = DjangoUserAdmin[User]
else:
    BaseUserAdmin = DjangoUserAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "usable_password", "password1", "password2",
                       "is_active", "is_staff", "groups"),
        }),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "roles", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("email",)
    ordering = ("email",)
    filter_horizontal = ()  # groups: a plain <select multiple> (one role per user)

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(obj.role_names())

    def formfield_for_manytomany(self, db_field: ManyToManyField[Any, Any], request: HttpRequest,
                                 **kwargs: Any) -> ModelMultipleChoiceField[Any] | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        match = request.resolver_match
        adding = match is not None and (match.url_name or "").endswith("_add")
        if field is not None and db_field.name == "groups" and adding:
            field.initial = list(Group.objects.filter(name=DEFAULT_ROLE))
        return field
