"""URLs: django-oauth-toolkit under /o/ (the issuer), the IdP's screens under /accounts/, the
admin API under /api/admin/, and the test hooks under /__test__/ with --test-mode only."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from oauth2_provider import urls as dot  # type: ignore[import-untyped, unused-ignore]

from authprobe.sandbox.idp import api, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/accounts/")),
    # DOT's protocol endpoints only: not its application-management screens, which would let
    # any signed-in user register clients
    path("o/", include((dot.metadata_urlpatterns + dot.base_urlpatterns + dot.oidc_urlpatterns,
                        "oauth2_provider"))),
    path("accounts/", views.account, name="account"),
    path("accounts/login/", views.sign_in, name="sign-in"),
    path("accounts/logout/", views.sign_out, name="sign-out"),
    path("api/admin/users", api.users),
    path("api/admin/users/<str:email>", api.user),
    path("api/admin/users/<str:email>/sign-out", api.user_sign_out),
    path("api/admin/users/<str:email>/disable", api.user_disable),
    path("api/admin/users/<str:email>/sessions", api.user_sessions),
    path("api/admin/keys/rotate", api.keys_rotate),
    path("api/admin/keys/retire", api.keys_retire),
]

if settings.AUTHPROBE_TEST_MODE:
    urlpatterns += [
        path("__test__/next-id-token", api.next_id_token),
        path("__test__/outage", api.outage),
    ]
