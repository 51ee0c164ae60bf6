"""`python -m authprobe.sandbox.allauth`: the Django project plus the mail sink.

Same contract as `python -m authprobe.sandbox` (docs/sandbox.md), through the same launcher
(authprobe.sandbox.launcher): secrets from the environment, one JSON ready line on stdout,
stop signals end everything promptly, a temp database goes with its directory. The database is
migrated at start. In test mode SANDBOX_ADMIN_PASSWORD seeds a superuser in the "admin" group
whose address allauth already knows as verified (so it can sign in like anyone else).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from authprobe.errors import SandboxConfigError
from authprobe.sandbox.django_project import allowed_hosts
from authprobe.sandbox.launcher import BuiltInTarget, Launch, run, serve_wsgi
from authprobe.sandbox.server import AdminSeed, admin_seed


def check_options(args: argparse.Namespace) -> AdminSeed | None:
    return admin_seed(args.test_mode)


def prepare_database(seed: AdminSeed | None) -> None:
    """Migrate (quietly), make the role groups, seed the admin. Runs off the event loop:
    Django refuses database work in a thread with a running loop."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections, transaction

    from authprobe.sandbox.allauth.glue.signals import ADMIN_ROLE, ROLES

    try:
        call_command("migrate", verbosity=0, interactive=False)
        with transaction.atomic():
            groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
            users = get_user_model().objects
            if seed is not None and not users.filter(email__iexact=seed.email).exists():
                admin = users.create_superuser(username=seed.email, email=seed.email,
                                               password=seed.password)
                admin.groups.add(groups[ADMIN_ROLE])
                EmailAddress.objects.create(user=admin, email=seed.email, verified=True,
                                            primary=True)
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


async def serve(launch: Launch[AdminSeed | None]) -> None:
    """Configure Django, migrate, then serve its WSGI handler until a stop signal."""
    from authprobe.sandbox.allauth.settings import AllauthConfig, configure  # noqa: PLC0415

    configure(AllauthConfig(
        db_path=str(launch.db_path.resolve()), smtp_host=launch.host,
        smtp_port=launch.mail.smtp_port, test_mode=launch.args.test_mode,
        allowed_hosts=allowed_hosts(launch.host),
    ))
    await asyncio.to_thread(prepare_database, launch.options)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    extra = {"admin_email": launch.options.email} if launch.options is not None else {}
    await serve_wsgi(wsgi_app(), launch.host, launch.args.port, "django-allauth",
                     lambda port: launch.announce(f"http://{launch.host}:{port}", defects=[],
                                                  extra=extra))


ALLAUTH = BuiltInTarget(
    prog="python -m authprobe.sandbox.allauth", description=__doc__,
    test_mode_help="seed the admin (SANDBOX_ADMIN_PASSWORD) and use a fast password hasher",
    who="django-allauth", db_name="app.sqlite3", serve=serve, options=check_options,
    usage_errors=(SandboxConfigError,), sms=False,
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(ALLAUTH, argv)
