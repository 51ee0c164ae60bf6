"""URLs: allauth's own views (/accounts/, /_allauth/), Django's admin (/admin/) and the glue."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from authprobe.sandbox.allauth import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/accounts/email/")),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("admin/", admin.site.urls),
    path("api/roles", views.roles),
    path("api/member", views.member_api),
    path("api/admin", views.admin_api),
]
