"""`python -m authprobe.sandbox.django_two_factor`: the Django project plus the mail sink.

Same contract as `python -m authprobe.sandbox` (docs/sandbox.md), through the same launcher
(authprobe.sandbox.launcher): secrets from the environment, one JSON ready line on stdout,
SIGTERM/SIGINT/SIGHUP (and, on Linux, the end of the process that started it) stop
everything promptly, a temp database goes with its directory. The database is migrated at
start. In test mode SANDBOX_ADMIN_PASSWORD seeds an active superuser in the "admin" group,
and the session hook is mounted (token in SANDBOX_HOOK_TOKEN). --misconfigure NAME
(repeatable) switches on a known misconfiguration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authprobe.errors import SandboxConfigError, UnknownMisconfigurationError
from authprobe.sandbox.django_project import allowed_hosts
from authprobe.sandbox.django_two_factor.settings import (
    MISCONFIGURATIONS,
    DjangoConfig,
    validate_misconfigurations,
)
from authprobe.sandbox.launcher import BuiltInTarget, Launch, run, serve_wsgi
from authprobe.sandbox.server import AdminSeed, admin_seed

# What the "admin" group may do in Django's admin (for admins who are also is_staff; the
# seeded admin is a superuser anyway): manage users and remove their OTP devices.
ADMIN_GROUP_PERMISSIONS = (
    ("accounts", "add_user"), ("accounts", "change_user"), ("accounts", "delete_user"),
    ("accounts", "view_user"), ("auth", "view_group"),
    ("otp_totp", "view_totpdevice"), ("otp_totp", "delete_totpdevice"),
    ("otp_static", "view_staticdevice"), ("otp_static", "delete_staticdevice"),
    ("otp_static", "delete_statictoken"),
)


@dataclass(frozen=True)
class DjangoOptions:
    """This target's own flags, checked before anything starts."""

    misconfigurations: frozenset[str]
    seed: AdminSeed | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--misconfigure", "--defect", dest="misconfigure", action="append",
                        default=[], metavar="NAME",
                        help=f"one of: {', '.join(sorted(MISCONFIGURATIONS))}")
    parser.add_argument("--session-age", type=int, default=1800, metavar="SECONDS",
                        help="SESSION_COOKIE_AGE (the idle timeout): short for the real-time lane")
    parser.add_argument("--reset-timeout", type=int, default=900, metavar="SECONDS",
                        help="PASSWORD_RESET_TIMEOUT: short for the real-time lane")


def check_options(args: argparse.Namespace) -> DjangoOptions:
    return DjangoOptions(validate_misconfigurations(args.misconfigure), admin_seed(args.test_mode))


def prepare_database(seed: AdminSeed | None) -> None:
    """Migrate (quietly), make the role groups, seed the admin. Runs off the event loop:
    Django refuses database work in a thread with a running loop."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from django.db import connections, transaction

    from authprobe.sandbox.django_two_factor.accounts.models import ROLES

    try:
        call_command("migrate", verbosity=0, interactive=False)
        with transaction.atomic():
            groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
            for app_label, codename in ADMIN_GROUP_PERMISSIONS:
                permission = Permission.objects.get(content_type__app_label=app_label,
                                                    codename=codename)
                groups["admin"].permissions.add(permission)
            if seed is not None:
                users = get_user_model().objects
                if not users.filter(email__iexact=seed.email).exists():
                    admin = users.create_superuser(seed.email, seed.password)
                    admin.groups.add(groups["admin"])
    finally:
        connections.close_all()


def wsgi_app() -> Any:
    """Django's WSGI handler, with the admin's static files served next to it."""
    import django.contrib.admin
    from django.core.wsgi import get_wsgi_application
    from werkzeug.middleware.shared_data import SharedDataMiddleware

    admin_static = Path(django.contrib.admin.__file__).resolve().parent / "static" / "admin"
    return SharedDataMiddleware(get_wsgi_application(), {"/static/admin": str(admin_static)},
                                cache=False)


async def serve(launch: Launch[DjangoOptions]) -> None:
    """Configure Django, migrate, then serve its WSGI handler until a stop signal."""
    from authprobe.sandbox.django_two_factor.settings import configure  # noqa: PLC0415 (Django only now)

    args, options = launch.args, launch.options
    hook_token = launch.secret("SANDBOX_HOOK_TOKEN") if args.test_mode else ""
    configure(DjangoConfig(
        db_path=str(launch.db_path.resolve()), smtp_host=launch.smtp_host,
        smtp_port=launch.smtp_port, test_mode=args.test_mode, hook_token=hook_token,
        misconfigurations=options.misconfigurations, allowed_hosts=allowed_hosts(launch.host),
        session_age=args.session_age, reset_timeout=args.reset_timeout,
    ))
    await asyncio.to_thread(prepare_database, options.seed)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    extra = {"admin_email": options.seed.email} if options.seed is not None else {}
    await serve_wsgi(wsgi_app(), launch.host, args.port, "django-two-factor",
                     lambda port: launch.announce(f"http://{launch.host}:{port}",
                                                  defects=sorted(options.misconfigurations),
                                                  extra=extra))


DJANGO_TWO_FACTOR = BuiltInTarget(
    prog="python -m authprobe.sandbox.django_two_factor", description=__doc__,
    test_mode_help="mount the /__test__/ hook and use a fast password hasher",
    who="django-two-factor", db_name="app.sqlite3", serve=serve, options=check_options,
    add_arguments=add_arguments, usage_errors=(UnknownMisconfigurationError, SandboxConfigError),
    sms=False,
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(DJANGO_TWO_FACTOR, argv)
