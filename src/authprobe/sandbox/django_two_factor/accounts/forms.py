"""Forms the project adds around the stacks' own: the admin's user forms for the custom
model, and (only with --misconfigure revealing_reset) a "helpful" reset form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, PasswordResetForm, UserChangeForm

from authprobe.sandbox.django_two_factor.accounts.models import User

UNKNOWN_EMAIL = "There is no account with that email address."

if TYPE_CHECKING:  # generic in django-stubs only; Django's own class takes no subscript
    ChangeForm = UserChangeForm[User]
else:
    ChangeForm = UserChangeForm


class UserAddForm(AdminUserCreationForm):
    """Django's admin creation form (password twice, or none) for the email-keyed model."""

    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(ChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RevealingPasswordResetForm(PasswordResetForm):
    """A common customisation: tell people who typed an unknown address. It answers the
    question "has this address an account?" for anyone (account enumeration)."""

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if not any(True for _ in self.get_users(email)):
            raise forms.ValidationError(UNKNOWN_EMAIL, code="unknown_email")
        return email
