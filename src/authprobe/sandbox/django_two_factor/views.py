"""The project's glue: who-is-signed-in navigation, a page and an API per role, two JSON
session endpoints and the test hook. Everything a user does to their account is a view of
django-registration, django-two-factor-auth or django.contrib.auth."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any

from axes.utils import reset as reset_lockout
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from authprobe.sandbox.fallbacks import SecretKeyFallbacks, grace_of, loopback_only

if TYPE_CHECKING:
    from authprobe.sandbox.django_two_factor.accounts.models import User

    class SignedInRequest(HttpRequest):
        """A request `role_api` let through: its user is signed in."""

        user: User
else:
    SignedInRequest = HttpRequest

ROLES = ("member", "editor", "admin")
EDITORS = ("editor", "admin")
ADMINS = ("admin",)

# django-two-factor-auth's LoginView is a formtools SessionWizardView: its state lives in the
# session under "wizard_" + normalize_name("LoginView"); after the password step it holds the
# user's pk and the current step ("token", or "backup" for a backup token).
LOGIN_WIZARD_KEY = "wizard_login_view"
SECOND_FACTOR_STEPS = ("token", "backup")

View = Callable[..., HttpResponse]


def roles_of(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(user.role_names())


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context for the header: the signed-in user's roles."""
    return {"nav_roles": roles_of(getattr(request, "user", None))}


def role_page(allowed: Iterable[str], template: str, title: str) -> View:
    allowed = tuple(allowed)

    @never_cache
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        roles = roles_of(request.user)
        if not set(roles) & set(allowed):
            raise PermissionDenied
        return render(request, template, {"title": title, "roles": roles})

    return view


@never_cache
def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"title": "Home"})


account_view = role_page(ROLES, "account.html", "Your account")
member_view = role_page(ROLES, "area.html", "Member area")
editor_view = role_page(EDITORS, "area.html", "Editor area")
staff_view = role_page(ADMINS, "staff.html", "Admin")


def _unauthenticated() -> JsonResponse:
    return JsonResponse({"detail": "not signed in"}, status=401)


def role_api(allowed: Iterable[str]) -> Callable[[View], View]:
    allowed = tuple(allowed)

    def decorate(view: View) -> View:
        @never_cache
        @require_GET
        @wraps(view)
        def checked(request: HttpRequest) -> HttpResponse:
            if not request.user.is_authenticated:
                return _unauthenticated()
            if not set(roles_of(request.user)) & set(allowed):
                return JsonResponse({"detail": "forbidden"}, status=403)
            return view(request)

        return checked

    return decorate


@role_api(ROLES)
def member_api(request: SignedInRequest) -> HttpResponse:
    return JsonResponse({"area": "member", "email": request.user.email})


@role_api(EDITORS)
def editor_api(request: SignedInRequest) -> HttpResponse:
    return JsonResponse({"area": "editor", "email": request.user.email})


@role_api(ADMINS)
def admin_users_api(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.prefetch_related("groups").order_by("email")
    listed = [{"email": user.email, "roles": [r for r in ROLES if r in {g.name for g in user.groups.all()}]}
              for user in users]
    return JsonResponse({"users": listed})


def _pending_second_factor(request: HttpRequest) -> list[dict[str, str]]:
    """The login wizard passed the password step and waits for a token (not timed out)."""
    state = request.session.get(LOGIN_WIZARD_KEY)
    if not isinstance(state, dict) or not state.get("user_pk"):
        return []
    step = state.get("step")
    if step not in SECOND_FACTOR_STEPS:
        return []
    timeout = getattr(settings, "TWO_FACTOR_LOGIN_TIMEOUT", 600)
    started = int(state.get("authentication_time", 0))
    if timeout and int(time.time()) > started + timeout:
        return []
    return [{"type": "otp_token", "step": step}]


@never_cache
@require_GET
def auth_status(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return JsonResponse({"email": request.user.email, "pending": []})
    return JsonResponse({"detail": "not signed in", "pending": _pending_second_factor(request)},
                        status=401)


@never_cache
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _unauthenticated()
    groups = [{"name": name} for name in roles_of(request.user)]
    return JsonResponse({"email": request.user.email, "groups": groups})


# ------------------------------------------------------------------ test hook (--test-mode)


def _hook(view: View) -> View:
    @csrf_exempt
    @never_cache
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Test-Hook-Token", "")
        expected = settings.AUTHPROBE_HOOK_TOKEN
        if not expected or not loopback_only(request.META.get("REMOTE_ADDR")) \
                or not secrets.compare_digest(given.encode(), expected.encode()):
            return JsonResponse({"detail": "forbidden"}, status=403)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JsonResponse({"detail": "a JSON object is required"}, status=400)
        return view(request, body)

    return checked


@_hook
def backdate_sessions(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    """Move expire_date of the user's database sessions back by idle_seconds: Django's own
    expiry (SESSION_COOKIE_AGE after the last request) then applies. age_seconds is
    accepted and has no effect: Django sessions have no absolute lifetime."""
    try:
        idle = int(body.get("idle_seconds") or 0)
    except (TypeError, ValueError):
        return JsonResponse({"detail": "idle_seconds must be a number"}, status=400)
    user = get_user_model().objects.filter(email__iexact=str(body.get("email", ""))).first()
    count = 0
    if user is not None:
        for session in Session.objects.filter(expire_date__gt=timezone.now()):
            if session.get_decoded().get("_auth_user_id") == str(user.pk):
                session.expire_date -= timedelta(seconds=idle)
                session.save(update_fields=["expire_date"])
                count += 1
    return JsonResponse({"sessions": count})


# Signing-key rotation through Django's own SECRET_KEY_FALLBACKS: sessions, the auth hash,
# reset tokens and django-registration's activation keys all read both settings per call.
_keys: SecretKeyFallbacks | None = None


def _key_ring() -> SecretKeyFallbacks:
    global _keys
    if _keys is None:
        def apply(current: str, fallbacks: list[str]) -> None:
            settings.SECRET_KEY = current
            settings.SECRET_KEY_FALLBACKS = fallbacks

        _keys = SecretKeyFallbacks(settings.SECRET_KEY, apply)
    return _keys


def expire_key_fallbacks(get_response: Callable[[HttpRequest], HttpResponse],
                         ) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware (test mode): a fallback key whose grace has run out is removed first."""
    def middleware(request: HttpRequest) -> HttpResponse:
        _key_ring().drop_expired()
        return get_response(request)

    return middleware


@_hook
def rotate_keys(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    return JsonResponse({"fallbacks": _key_ring().rotate(grace_of(body))})


@_hook
def retire_keys(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    return JsonResponse({"fallbacks": _key_ring().retire()})


class UnlockingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset form, which also ends a django-axes lockout of the account: the reset
    link proves the mailbox, so its owner need not wait out the cool-off (the lockout page
    says so)."""

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        response = super().form_valid(form)
        reset_lockout(username=form.user.get_username())
        return response
