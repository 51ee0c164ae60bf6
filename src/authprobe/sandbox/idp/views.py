"""The IdP's own screens: sign-in, the account page, sign-out. Consent and the RP-initiated
logout confirmation are django-oauth-toolkit's views with our templates
(templates/oauth2_provider/)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

WRONG_CREDENTIALS = "Wrong email or password."


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the email as username and one message for every refusal
    (unknown address, wrong password, disabled account alike: no account enumeration)."""

    username = forms.CharField(label="Email", max_length=254, widget=forms.EmailInput(
        attrs={"autocomplete": "email", "autofocus": True}))
    error_messages = {"invalid_login": WRONG_CREDENTIALS, "inactive": WRONG_CREDENTIALS}

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "idp/login.html"

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "idp/account.html")
