"""The admin API (always on, `Authorization: Bearer IDP_ADMIN_TOKEN`) and the test hooks
(--test-mode only, `X-Test-Hook-Token: IDP_HOOK_TOKEN`): JSON in, JSON out, one sentence
per refusal. The tokens reach this process by environment only (server.py)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from authprobe.sandbox.fallbacks import loopback_only
from authprobe.sandbox.idp import accounts, faults
from authprobe.sandbox.idp.keys import ring

View = Callable[..., HttpResponse]


def _error(status: int, sentence: str) -> JsonResponse:
    return JsonResponse({"error": sentence}, status=status)


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _setting(name: str) -> str:
    """One of the IdP's own settings (django-stubs types settings from another project's)."""
    return str(getattr(settings, name, ""))


def _matches(given: str, expected: str) -> bool:
    return bool(expected) and secrets.compare_digest(given.encode(), expected.encode())


def admin(*methods: str) -> Callable[[View], View]:
    """An admin API view: the bearer token first, then the method."""
    def decorate(view: View) -> View:
        @csrf_exempt
        @never_cache
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not _matches(given.strip(), _setting("IDP_ADMIN_TOKEN")):
                response = _error(401, "The admin API needs the IdP's admin token as a Bearer token.")
                response["WWW-Authenticate"] = 'Bearer realm="authprobe-idp"'
                return response
            return require_http_methods(list(methods))(view)(request, *args, **kwargs)

        return checked

    return decorate


def hook(view: View) -> View:
    """A test hook: POST, from this machine, with the hook token, a JSON object body."""
    @csrf_exempt
    @never_cache
    @require_http_methods(["POST"])
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Test-Hook-Token", "")
        if not given:
            return _error(401, "Test hooks need the X-Test-Hook-Token header.")
        if not loopback_only(request.META.get("REMOTE_ADDR")) \
                or not _matches(given, _setting("IDP_HOOK_TOKEN")):
            return _error(403, "The test hook token is wrong.")
        body = _body(request)
        if body is None:
            return _error(400, "The body must be a JSON object.")
        return view(request, body)

    return checked


def _user_json(user: User) -> dict[str, Any]:
    return {"email": user.email, "sub": str(user.pk), "active": user.is_active,
            "email_verified": accounts.email_verified(user)}


def _create_user(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    if body is None:
        return _error(400, "The body must be a JSON object with email and password.")
    email, password = body.get("email"), body.get("password")
    verified, name = body.get("email_verified", True), body.get("name", "")
    if not isinstance(email, str) or not isinstance(password, str) or not password \
            or not isinstance(verified, bool) or not isinstance(name, str):
        return _error(400, "Give email and password as strings, email_verified as a boolean "
                           "and name, if any, as a string.")
    try:
        validate_email(email.strip())
    except ValidationError:
        return _error(400, f"{email!r} is not an email address; give a valid one.")
    if accounts.find(email) is not None:
        return _error(409, "A user with this email already exists; delete it first or use another address.")
    try:
        candidate: Any = User(username=email.strip().lower(), email=email.strip().lower())
        validate_password(password, candidate)
    except ValidationError as refused:
        return _error(400, f"The password was refused: {' '.join(refused.messages)}")
    user = accounts.create(email, password, verified=verified, name=name[:150])
    return JsonResponse({"email": user.email, "sub": str(user.pk)}, status=201)


@admin("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create_user(request)
    listed = [_user_json(user) for user in User.objects.order_by("username")]
    return JsonResponse({"users": listed})


def _unknown(email: str) -> JsonResponse:
    return _error(404, f"No user {email!r} at the IdP; list them with GET /api/admin/users.")


@admin("DELETE")
def user(request: HttpRequest, email: str) -> HttpResponse:
    found = accounts.find(email)
    if found is None:
        return _unknown(email)
    accounts.sign_out_everywhere(found)
    found.delete()
    return HttpResponse(status=204)


@admin("POST")
def user_sign_out(request: HttpRequest, email: str) -> HttpResponse:
    found = accounts.find(email)
    if found is None:
        return _unknown(email)
    accounts.sign_out_everywhere(found)
    return HttpResponse(status=204)


@admin("POST")
def user_disable(request: HttpRequest, email: str) -> HttpResponse:
    found = accounts.find(email)
    if found is None:
        return _unknown(email)
    found.is_active = False
    found.save(update_fields=["is_active"])
    accounts.sign_out_everywhere(found)
    return HttpResponse(status=204)


@admin("GET")
def user_sessions(request: HttpRequest, email: str) -> HttpResponse:
    found = accounts.find(email)
    if found is None:
        return _unknown(email)
    return JsonResponse({"sessions": len(accounts.live_sessions(found))})


@admin("POST")
def keys_rotate(request: HttpRequest) -> HttpResponse:
    return JsonResponse(ring().rotate())


@admin("POST")
def keys_retire(request: HttpRequest) -> HttpResponse:
    return JsonResponse(ring().retire())


@hook
def next_id_token(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    email, fault = body.get("email"), body.get("tamper")
    if not isinstance(email, str) or fault not in faults.ID_TOKEN_FAULTS:
        return _error(400, f"Give email and tamper, one of: {', '.join(faults.ID_TOKEN_FAULTS)}.")
    if accounts.find(email) is None:
        return _unknown(email)
    if fault == "retired_key" and ring().newest_retired() is None:
        return _error(409, "No key is retired yet; rotate, then retire, then ask for this fault.")
    faults.arm(email, str(fault))
    return HttpResponse(status=204)


@hook
def outage(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return _error(400, "Give seconds as a number of seconds (0 ends the outage).")
    faults.start_outage(float(seconds))
    return HttpResponse(status=204)
