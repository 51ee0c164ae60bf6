"""`python -m authprobe.sandbox.allauth`: the Django project plus the mail sink.

Same contract as `python -m authprobe.sandbox` (docs/sandbox.md), through the same launcher
(authprobe.sandbox.launcher): secrets from the environment, one JSON ready line on stdout,
stop signals end everything promptly, a temp database goes with its directory. The database is
migrated at start. In test mode SANDBOX_ADMIN_PASSWORD seeds a superuser in the "admin" group
whose address allauth already knows as verified (so it can sign in like anyone else).

With --idp the built-in identity provider (authprobe.sandbox.idp) starts beside it, with
allauth's OpenID Connect callback as its one redirect URI, and allauth signs in with it
("Authprobe ID"); the ready line adds idp_url, idp_issuer and idp_discovery_url, and the IdP's
tokens come from SANDBOX_IDP_ADMIN_TOKEN and SANDBOX_IDP_HOOK_TOKEN, as for the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authprobe.errors import SandboxConfigError
from authprobe.sandbox.django_project import allowed_hosts
from authprobe.sandbox.launcher import BuiltInTarget, Launch, bind, run, serve_wsgi
from authprobe.sandbox.server import AdminSeed, admin_seed

if TYPE_CHECKING:
    from authprobe.sandbox.allauth.settings import OidcApp
    from authprobe.sandbox.idp.sidecar import RunningIdp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--idp", action="store_true",
                        help="start an OpenID Connect provider beside it: allauth's "
                             "\"Sign in with Authprobe ID\" (its openid_connect provider)")


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
    """Configure Django, migrate, then serve its WSGI handler until a stop signal; with --idp,
    the IdP first (its client's redirect URI needs this server's port)."""
    from authprobe.sandbox.allauth.settings import AllauthConfig, configure  # noqa: PLC0415

    port, hold = launch.args.port, None
    idp: RunningIdp | None = None
    oidc: OidcApp | None = None
    if launch.args.idp:
        hold = bind(launch.host, port)  # keeps the port from others until werkzeug binds it too
        port = hold.getsockname()[1]
        idp, oidc = await _start_idp(launch, f"http://{launch.host}:{port}")
    try:
        configure(AllauthConfig(
            db_path=str(launch.db_path.resolve()), smtp_host=launch.smtp_host,
            smtp_port=launch.smtp_port, test_mode=launch.args.test_mode,
            allowed_hosts=allowed_hosts(launch.host), oidc=oidc,
        ))
        await asyncio.to_thread(prepare_database, launch.options)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        extra: dict[str, object] = {}
        if launch.options is not None:
            extra["admin_email"] = launch.options.email
        if idp is not None:
            extra.update(idp_url=idp.url, idp_issuer=idp.issuer, idp_discovery_url=idp.discovery_url)

        def ready(bound: int) -> None:
            _release(hold)
            launch.announce(f"http://{launch.host}:{bound}", defects=[], extra=extra)

        await serve_wsgi(wsgi_app(), launch.host, port, "django-allauth", ready)
    finally:
        _release(hold)
        if idp is not None:
            await asyncio.to_thread(idp.stop)


def _release(hold: socket.socket | None) -> None:
    if hold is not None:
        hold.close()


async def _start_idp(launch: Launch[AdminSeed | None],
                     base_url: str) -> tuple[RunningIdp | None, OidcApp | None]:
    """The IdP sidecar with allauth as its one client, as the sandbox starts it (test mode:
    access tokens live 4 s, the key set is cached 2 s). Without django-oauth-toolkit, or when
    it does not start, one sentence on stderr and allauth starts without its provider."""
    from authprobe.sandbox.allauth.settings import CLIENT_ID, PROVIDER_NAME, OidcApp, callback_path  # noqa: PLC0415
    from authprobe.sandbox.idp.sidecar import IdpClient, idp_missing, start_idp  # noqa: PLC0415

    if (missing := idp_missing()) is not None:
        print(missing, file=sys.stderr, flush=True)
        return None, None
    client = IdpClient(client_id=CLIENT_ID, client_secret=secrets.token_urlsafe(32),
                       redirect_uris=(base_url + callback_path(),), name=f"django-allauth ({PROVIDER_NAME})")
    ttl, max_age = (4, 2) if launch.test_mode else (300, 300)
    try:
        idp = await asyncio.to_thread(
            start_idp, launch.host, client, admin_token=launch.secret("SANDBOX_IDP_ADMIN_TOKEN"),
            hook_token=launch.secret("SANDBOX_IDP_HOOK_TOKEN", shown=launch.test_mode),
            test_mode=launch.test_mode, access_token_ttl=ttl, jwks_max_age=max_age)
    except SandboxConfigError as exc:
        print(exc, file=sys.stderr, flush=True)
        return None, None
    return idp, OidcApp(issuer=idp.issuer, client_secret=client.client_secret)


ALLAUTH = BuiltInTarget(
    prog="python -m authprobe.sandbox.allauth", description=__doc__,
    test_mode_help="seed the admin (SANDBOX_ADMIN_PASSWORD) and use a fast password hasher",
    who="django-allauth", db_name="app.sqlite3", serve=serve, options=check_options,
    add_arguments=add_arguments,
    usage_errors=(SandboxConfigError,), sms=False,
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(ALLAUTH, argv)
