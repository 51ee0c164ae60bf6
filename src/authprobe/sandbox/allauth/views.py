"""The project's glue APIs: the signed-in user's roles (Django groups) and one API per role.
Nothing here signs anyone in or out; that is allauth's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from authprobe.sandbox.allauth.glue.signals import ADMIN_ROLE, ROLES


def roles_of(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(user.groups.values_list("name", flat=True))


@never_cache
@require_GET
def roles(request: HttpRequest) -> JsonResponse:
    """401 for strangers, else {"email", "roles"}."""
    if not request.user.is_authenticated:
        return JsonResponse({"roles": []}, status=401)
    return JsonResponse({"email": getattr(request.user, "email", ""), "roles": roles_of(request.user)})


def role_api(allowed: tuple[str, ...]) -> Callable[[HttpRequest], JsonResponse]:
    @never_cache
    @require_GET
    def view(request: HttpRequest) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "sign in first"}, status=401)
        if not set(roles_of(request.user)) & set(allowed):
            return JsonResponse({"error": "forbidden"}, status=403)
        return JsonResponse({"ok": True})

    return view


member_api = role_api(ROLES)
admin_api = role_api((ADMIN_ROLE,))
