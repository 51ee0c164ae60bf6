"""`python -m authprobe.sandbox.idp`: the OpenID Connect provider on its own.

The launch contract of the other built-in targets without their sinks (the IdP sends no mail
and no texts): secrets only from the environment (IDP_CLIENT_SECRET, IDP_ADMIN_TOKEN,
IDP_HOOK_TOKEN; generated ones shown once on stderr), one JSON ready line on stdout, a clean
stop on SIGTERM/SIGINT/SIGHUP or (Linux) when the launcher ends, a scratch database that goes
with its directory. The database is migrated at start and holds the one client the flags
describe (a scratch database gets its tables straight from the models, settings.py says
why). Exit code 2 with one sentence on stderr when a flag or setting is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from authprobe.errors import SandboxConfigError
from authprobe.sandbox.django_project import allowed_hosts
from authprobe.sandbox.idp.sidecar import idp_missing
from authprobe.sandbox.launcher import (
    USAGE_ERROR,
    bind,
    die_with_launcher,
    env_secret,
    run_until_stopped,
    serve_wsgi,
)
from authprobe.sandbox.scratch import remove_stale_scratch, scratch_dir

DB_NAME = "idp.sqlite3"


@dataclass(frozen=True)
class IdpOptions:
    host: str
    port: int
    test_mode: bool
    db: str | None
    access_token_ttl: int
    jwks_max_age: int
    client_id: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    client_name: str
    consent: bool
    client_secret: str = field(repr=False)
    admin_token: str = field(repr=False)
    hook_token: str = field(repr=False)
    generated: tuple[str, ...] = ()  # names of the secrets made up here (shown once)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m authprobe.sandbox.idp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--test-mode", action="store_true",
                        help="mount the /__test__/ hooks (IDP_HOOK_TOKEN) and use a fast password hasher")
    parser.add_argument("--db", default=None, metavar="PATH",
                        help="SQLite file, never deleted (default: a fresh temp file, deleted at stop)")
    parser.add_argument("--access-token-ttl", type=int, default=300, metavar="SECONDS")
    parser.add_argument("--jwks-max-age", type=int, default=300, metavar="SECONDS",
                        help="the JWKS's Cache-Control max-age")
    parser.add_argument("--client-id", default="authprobe-sandbox")
    parser.add_argument("--redirect-uri", action="append", default=[], metavar="URI")
    parser.add_argument("--post-logout-redirect-uri", action="append", default=[], metavar="URI")
    parser.add_argument("--client-name", default="Authprobe sandbox")
    parser.add_argument("--consent", action="store_true",
                        help="the client asks for consent (default: a first-party app, no consent)")
    return parser


def _check_uri(flag: str, uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise SandboxConfigError(f"{flag} {uri!r} is not an absolute http(s) URL without a fragment; "
                                 "give one like http://127.0.0.1:8000/sso/callback.")
    return uri


def check_options(args: argparse.Namespace) -> IdpOptions:
    """The flags and the environment, checked before anything starts."""
    missing = idp_missing()
    if missing:
        raise SandboxConfigError(missing)
    if not args.redirect_uri:
        raise SandboxConfigError("The IdP's client needs at least one --redirect-uri; give the app's "
                                 "callback URL.")
    if args.access_token_ttl < 1 or args.jwks_max_age < 0:
        raise SandboxConfigError("--access-token-ttl must be at least 1 second and --jwks-max-age "
                                 "at least 0; give whole seconds.")
    if not args.client_id.strip():
        raise SandboxConfigError("--client-id is empty; give the client id the app uses.")
    generated: dict[str, str] = {}
    hook_token = env_secret("IDP_HOOK_TOKEN", generated) if args.test_mode else ""
    return IdpOptions(
        host=args.host, port=args.port, test_mode=args.test_mode, db=args.db,
        access_token_ttl=args.access_token_ttl, jwks_max_age=args.jwks_max_age,
        client_id=args.client_id.strip(),
        redirect_uris=tuple(_check_uri("--redirect-uri", uri) for uri in args.redirect_uri),
        post_logout_redirect_uris=tuple(_check_uri("--post-logout-redirect-uri", uri)
                                        for uri in args.post_logout_redirect_uri),
        client_name=args.client_name, consent=args.consent,
        client_secret=env_secret("IDP_CLIENT_SECRET", generated),
        admin_token=env_secret("IDP_ADMIN_TOKEN", generated), hook_token=hook_token,
        generated=tuple(f"{name}={value}" for name, value in sorted(generated.items())),
    )


def prepare_database(options: IdpOptions) -> None:
    """Migrate (quietly) and register the one client. Runs off the event loop: Django refuses
    database work in a thread with a running loop."""
    from django.core.management import call_command
    from django.db import connections
    from oauth2_provider.models import Application  # type: ignore[import-untyped, unused-ignore]

    try:
        call_command("migrate", verbosity=0, interactive=False, run_syncdb=not options.db)
        client = Application.objects.filter(client_id=options.client_id).first() \
            or Application(client_id=options.client_id)
        client.name = options.client_name
        client.client_type = Application.CLIENT_CONFIDENTIAL
        client.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        client.client_secret = options.client_secret
        client.hash_client_secret = True
        client.redirect_uris = " ".join(options.redirect_uris)
        client.post_logout_redirect_uris = " ".join(options.post_logout_redirect_uris)
        client.skip_authorization = not options.consent
        client.algorithm = Application.RS256_ALGORITHM
        client.save()
    finally:
        connections.close_all()


def announce(url: str, options: IdpOptions) -> None:
    if options.generated:
        lines = "\n".join(f"  {line}" for line in options.generated)
        print(f"authprobe idp generated these secrets (set them in the env to choose):\n{lines}",
              file=sys.stderr, flush=True)
    print(json.dumps({"ready": True, "url": url, "issuer": f"{url}/o",
                      "discovery_url": f"{url}/o/.well-known/openid-configuration"}), flush=True)


async def serve(options: IdpOptions, placeholder: socket.socket) -> None:
    """Configure Django, migrate, then serve until a stop signal; the scratch database goes.

    The port was taken before Django is configured (`placeholder`, bound but not listening,
    holds it until the server has it): the issuer is fixed and names it."""
    from django.core.wsgi import get_wsgi_application

    from authprobe.sandbox.idp.keys import new_private_key
    from authprobe.sandbox.idp.settings import IdpConfig, configure

    scratch = None if options.db else scratch_dir()
    db_path = Path(os.path.abspath(options.db)) if options.db else Path(str(scratch)) / DB_NAME
    port = int(placeholder.getsockname()[1])
    try:
        url = f"http://{options.host}:{port}"
        configure(IdpConfig(
            db_path=str(db_path), issuer=f"{url}/o", signing_key=new_private_key(),
            allowed_hosts=allowed_hosts(options.host), admin_token=options.admin_token,
            hook_token=options.hook_token, test_mode=options.test_mode, fresh_db=not options.db,
            access_token_ttl=options.access_token_ttl, jwks_max_age=options.jwks_max_age,
        ))
        await asyncio.to_thread(prepare_database, options)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

        def ready(bound: int) -> None:
            placeholder.close()
            announce(url, options)

        await serve_wsgi(get_wsgi_application(), options.host, port, "authprobe-idp", ready)
    finally:
        placeholder.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    if not die_with_launcher():
        remove_stale_scratch()
        return 0
    args = parser().parse_args(argv)
    try:
        options = check_options(args)
    except SandboxConfigError as exc:
        print(exc, file=sys.stderr)
        return USAGE_ERROR
    try:
        placeholder = bind(options.host, options.port)
    except OSError as exc:
        print(f"The IdP cannot listen on {options.host}:{options.port} ({exc.strerror}); "
              "choose another --host or --port.", file=sys.stderr)
        return USAGE_ERROR
    return run_until_stopped(serve(options, placeholder))
