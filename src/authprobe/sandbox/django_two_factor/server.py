"""`python -m authprobe.sandbox.django_two_factor`: the Django project plus the mail sink.

Same contract as `python -m sandbox` (docs/sandbox.md): secrets from the environment,
one JSON ready line on stdout, SIGTERM/SIGINT/SIGHUP (and, on Linux, the end of the process
that started it) stop everything promptly, a temp database goes with its directory. The
database is migrated at start. In test mode SANDBOX_ADMIN_PASSWORD seeds an active
superuser in the "admin" group, and the session hook is mounted (token in
SANDBOX_HOOK_TOKEN). --misconfigure NAME (repeatable) switches on a known misconfiguration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from authprobe.sandbox.app import remove_stale_scratch, scratch_dir
from authprobe.sandbox.django_two_factor.settings import (
    MISCONFIGURATIONS,
    DjangoConfig,
    UnknownMisconfigurationError,
    validate_misconfigurations,
)
from authprobe.sandbox.mailsink import MailSink
from authprobe.sandbox.server import (
    AdminSeed,
    ConfigError,
    admin_seed,
    announce,
    die_with_launcher,
    env_secret,
    launch_parser,
    run_until_stopped,
    serve_wsgi_until_stopped,
)

# What the "admin" group may do in Django's admin (for admins who are also is_staff; the
# seeded admin is a superuser anyway): manage users and remove their OTP devices.
ADMIN_GROUP_PERMISSIONS = (
    ("accounts", "add_user"), ("accounts", "change_user"), ("accounts", "delete_user"),
    ("accounts", "view_user"), ("auth", "view_group"),
    ("otp_totp", "view_totpdevice"), ("otp_totp", "delete_totpdevice"),
    ("otp_static", "view_staticdevice"), ("otp_static", "delete_staticdevice"),
    ("otp_static", "delete_statictoken"),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = launch_parser("python -m authprobe.sandbox.django_two_factor", __doc__,
                           "mount the /__test__/ hook and use a fast password hasher")
    parser.add_argument("--misconfigure", "--defect", dest="misconfigure", action="append",
                        default=[], metavar="NAME",
                        help=f"one of: {', '.join(sorted(MISCONFIGURATIONS))}")
    return parser.parse_args(argv)


def allowed_hosts(host: str) -> tuple[str, ...]:
    if host in ("0.0.0.0", "::", ""):
        return ("*",)  # listening everywhere: any name may reach it
    return tuple(dict.fromkeys(("127.0.0.1", "localhost", "[::1]", host)))


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


async def serve(args: argparse.Namespace, misconfigurations: frozenset[str],
                seed: AdminSeed | None) -> None:

    from authprobe.sandbox.django_two_factor.settings import configure

    generated: dict[str, str] = {}
    imap_password = env_secret("SANDBOX_IMAP_PASSWORD", generated)
    hook_token = env_secret("SANDBOX_HOOK_TOKEN", generated) if args.test_mode else ""
    sink = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                    imap_user=args.mail_address, imap_password=imap_password)
    await sink.start()
    scratch = None if args.db else scratch_dir()
    try:
        db_path = Path(args.db) if scratch is None else Path(scratch) / "app.sqlite3"
        configure(DjangoConfig(
            db_path=str(db_path.resolve()), smtp_host=args.host, smtp_port=sink.smtp_port,
            test_mode=args.test_mode, hook_token=hook_token,
            misconfigurations=misconfigurations, allowed_hosts=allowed_hosts(args.host),
        ))
        await asyncio.to_thread(prepare_database, seed)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        extra = {"admin_email": seed.email} if seed is not None else {}
        await serve_wsgi_until_stopped(
            wsgi_app(), args.host, args.port, "django-two-factor",
            lambda port: announce(f"http://{args.host}:{port}", sink, generated,
                                  test_mode=args.test_mode, defects=sorted(misconfigurations),
                                  who="django-two-factor", extra=extra))
    finally:
        try:
            await sink.stop()
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    if not die_with_launcher():
        remove_stale_scratch()
        return 0
    args = parse_args(argv)
    try:
        misconfigurations = validate_misconfigurations(args.misconfigure)
        seed = admin_seed(args.test_mode)
    except (UnknownMisconfigurationError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_until_stopped(serve(args, misconfigurations, seed))
