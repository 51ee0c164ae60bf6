"""URLs: the stacks' own views, the project's glue, and Django's admin at /django-admin/."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import URLPattern, URLResolver, include, path
from two_factor.urls import urlpatterns as two_factor_urls

from authprobe.sandbox.django_two_factor import views
from authprobe.sandbox.django_two_factor.accounts.forms import RevealingPasswordResetForm

wrong = settings.AUTHPROBE_MISCONFIGURATIONS
registration = ("django_registration.backends.one_step.urls" if "verification_optional" in wrong
                else "django_registration.backends.activation.urls")
reset_form = RevealingPasswordResetForm if "revealing_reset" in wrong else PasswordResetForm

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home_view, name="home"),
    # django-two-factor-auth: /account/login/, /account/two_factor/... (setup, backup tokens)
    path("", include(two_factor_urls)),
    # django-registration: /account/register/, /account/activate/ (two-step workflow)
    path("account/", include(registration)),
    # django.contrib.auth: everything but its LoginView (sign-in is the two-factor wizard)
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password_change/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("account/password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("account/password_reset/", auth_views.PasswordResetView.as_view(form_class=reset_form),
         name="password_reset"),
    path("account/password_reset/done/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("account/reset/<uidb64>/<token>/", views.UnlockingPasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("account/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    # the project's pages and APIs
    path("account", views.account_view, name="account"),
    path("member", views.member_view, name="member"),
    path("editor", views.editor_view, name="editor"),
    path("staff", views.staff_view, name="staff"),
    path("api/member", views.member_api),
    path("api/editor", views.editor_api),
    path("api/admin/users", views.admin_users_api),
    path("api/auth/status", views.auth_status),
    path("api/me", views.me),
    path("django-admin/", admin.site.urls),
]

if settings.AUTHPROBE_TEST_MODE:
    urlpatterns += [
        path("__test__/sessions/backdate", views.backdate_sessions),
        path("__test__/keys/rotate", views.rotate_keys),
        path("__test__/keys/retire", views.retire_keys),
    ]
