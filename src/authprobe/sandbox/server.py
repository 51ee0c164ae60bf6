"""`python -m authprobe.sandbox`: the app under uvicorn plus the mail and SMS sinks, in one asyncio loop.

Started and stopped by the shared launcher (authprobe.sandbox.launcher: flags, secrets, sinks,
ready line, signals). Secrets come from the environment; generated ones are shown once on
stderr. In test mode SANDBOX_ADMIN_PASSWORD seeds an admin account. Without --db the
database lives in a temp directory the server removes when it stops (or the next start
does, should this one be killed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from authprobe.errors import SandboxConfigError, UnknownDefectError, UnknownShapeError
from authprobe.sandbox.accounts import MIN_PASSWORD, create_user, find_user, normalize_email, valid_email
from authprobe.sandbox.app import create_app
from authprobe.sandbox.config import DEFAULT_CLIENT_ID, SandboxConfig
from authprobe.sandbox.context import Sandbox
from authprobe.sandbox.defects import validate_defects
from authprobe.sandbox.launcher import BuiltInTarget, Launch, bind, run, serve_asgi
from authprobe.sandbox.shapes import SHAPES, validate_shapes
from authprobe.sandbox.sso_client import CALLBACK_PATH, SIGNED_OUT_PATH

if TYPE_CHECKING:
    from authprobe.sandbox.idp.sidecar import RunningIdp

DEFAULT_ADMIN_EMAIL = "admin@sandbox.test"


@dataclass(frozen=True)
class AdminSeed:
    email: str
    password: str


def admin_seed(test_mode: bool) -> AdminSeed | None:
    """The admin account SANDBOX_ADMIN_PASSWORD (and SANDBOX_ADMIN_EMAIL) ask for, if any."""
    password = os.environ.get("SANDBOX_ADMIN_PASSWORD")
    if not password:
        return None
    if not test_mode:
        raise SandboxConfigError("SANDBOX_ADMIN_PASSWORD seeds an admin only with --test-mode; "
                          "add --test-mode or unset it.")
    email = normalize_email(os.environ.get("SANDBOX_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL)
    if not valid_email(email):
        raise SandboxConfigError(f"SANDBOX_ADMIN_EMAIL is not a valid email address: {email}.")
    if len(password) < MIN_PASSWORD:
        raise SandboxConfigError(f"SANDBOX_ADMIN_PASSWORD must be at least {MIN_PASSWORD} characters.")
    return AdminSeed(email, password)


async def seed_admin(sandbox: Sandbox, seed: AdminSeed) -> None:
    """Create the active admin account unless that email already has an account."""
    with sandbox.sessions() as db:
        if find_user(db, seed.email) is None:
            await create_user(sandbox, db, seed.email, seed.password, role="admin", active=True)
            db.commit()


@dataclass(frozen=True)
class SandboxOptions:
    """The sandbox's own flags, checked before anything starts."""

    defects: frozenset[str]
    shapes: frozenset[str]
    seed: AdminSeed | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--defect", action="append", default=[], metavar="NAME")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME",
                        help="present a UI/API shape of real auth stacks (repeatable): "
                             + ", ".join(sorted(SHAPES)))
    parser.add_argument("--idle-ttl", type=int, default=1800, metavar="SECONDS")
    parser.add_argument("--absolute-ttl", type=int, default=28800, metavar="SECONDS")
    parser.add_argument("--reset-ttl", type=int, default=900, metavar="SECONDS")
    parser.add_argument("--sms-code-ttl", type=int, default=300, metavar="SECONDS",
                        help="how long a texted code works")
    parser.add_argument("--signin-rate", type=int, default=None, metavar="N",
                        help="sign-ins per address per --signin-rate-window, then HTTP 429")
    parser.add_argument("--signin-rate-window", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--idp", action="store_true",
                        help="start an OpenID Connect provider beside it: \"Sign in with Authprobe ID\"")
    parser.add_argument("--passkey-rp-id", default="localhost", metavar="HOST",
                        help="the WebAuthn RP ID: the host name browsers reach the sandbox by for passkeys")
    parser.add_argument("--no-idp", dest="idp", action="store_false",
                        help="without it after all (a later --no-idp wins over --idp)")


def check_options(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(validate_defects(args.defect), validate_shapes(args.shape),
                          admin_seed(args.test_mode))


async def serve(launch: Launch[SandboxOptions]) -> None:
    """Build the app on its own address (and with --idp, its IdP) and serve it until a stop signal."""
    admin_token = launch.secret("SANDBOX_ADMIN_TOKEN")
    hook_token = launch.secret("SANDBOX_HOOK_TOKEN", shown=launch.test_mode)  # no hooks: not shown
    sock = bind(launch.host, launch.args.port)
    base_url = f"http://{launch.host}:{sock.getsockname()[1]}"
    client_secret = secrets.token_urlsafe(32)  # only ever between the two processes
    idp = await _start_idp(launch, base_url, client_secret) if launch.args.idp else None
    try:
        await _serve_app(launch, sock, base_url, idp, (admin_token, hook_token, client_secret))
    finally:
        if idp is not None:
            await asyncio.to_thread(idp.stop)


async def _start_idp(launch: Launch[SandboxOptions], base_url: str, client_secret: str) -> RunningIdp | None:
    """The IdP sidecar with this sandbox as its one client. Without django-oauth-toolkit, or
    when it does not start, one sentence on stderr and the sandbox starts without SSO. Test
    mode: access tokens live 4 s and the key set is cached 2 s, so checks wait seconds."""
    from authprobe.sandbox.idp.sidecar import IdpClient, idp_missing, start_idp  # noqa: PLC0415 (only with --idp)

    if (missing := idp_missing()) is not None:
        print(missing, file=sys.stderr, flush=True)
        return None
    client = IdpClient(client_id=DEFAULT_CLIENT_ID, client_secret=client_secret,
                       redirect_uris=(base_url + CALLBACK_PATH,),
                       post_logout_redirect_uris=(base_url + SIGNED_OUT_PATH,))
    ttl, max_age = (4, 2) if launch.test_mode else (300, 300)
    try:
        return await asyncio.to_thread(
            start_idp, launch.host, client, admin_token=launch.secret("SANDBOX_IDP_ADMIN_TOKEN"),
            hook_token=launch.secret("SANDBOX_IDP_HOOK_TOKEN", shown=launch.test_mode),
            test_mode=launch.test_mode, access_token_ttl=ttl, jwks_max_age=max_age)
    except SandboxConfigError as exc:
        print(exc, file=sys.stderr, flush=True)
        return None


async def _serve_app(launch: Launch[SandboxOptions], sock: socket.socket, base_url: str,
                     idp: RunningIdp | None, tokens: tuple[str, str, str]) -> None:
    admin_token, hook_token, client_secret = tokens
    args, options, texts = launch.args, launch.options, launch.texts
    assert texts is not None  # the sandbox texts (BuiltInTarget.sms)
    config = SandboxConfig(
        base_url=base_url, smtp_host=launch.smtp_host,
        smtp_port=launch.smtp_port, admin_token=admin_token, hook_token=hook_token,
        test_mode=args.test_mode, idle_ttl=args.idle_ttl, absolute_ttl=args.absolute_ttl,
        reset_ttl=args.reset_ttl, sms_code_ttl=args.sms_code_ttl, defects=options.defects,
        shapes=options.shapes,
        signin_rate=args.signin_rate, signin_rate_window=args.signin_rate_window,
        db_path=str(launch.db_path), hash_profile="fast" if args.test_mode else "default",
        sms_api_url=texts.url, sms_account_sid=texts.account_sid, sms_auth_token=texts.auth_token,
        idp_issuer=idp.issuer if idp else None, idp_discovery_url=idp.discovery_url if idp else None,
        idp_client_secret=client_secret, passkey_rp_id=args.passkey_rp_id,
    )
    app = create_app(config)
    try:
        if options.seed is not None:
            await seed_admin(app.state.sandbox, options.seed)
        await serve_asgi(app, sock, lambda: _announce(launch, config, idp))
    finally:
        app.state.engine.dispose()


def _announce(launch: Launch[SandboxOptions], config: SandboxConfig, idp: RunningIdp | None) -> None:
    extra: dict[str, object] = {
        "command_env": {"SANDBOX_DB": config.db_path, "SANDBOX_HASH_PROFILE": config.hash_profile},
        **launch.sms_fields(),
    }
    if launch.options.seed is not None:
        extra["admin_email"] = launch.options.seed.email
    if config.shapes:  # absent without --shape, so that ready line stays as it always was
        extra["shapes"] = sorted(config.shapes)
    if idp is not None:  # likewise without --idp
        extra.update(idp_url=idp.url, idp_issuer=idp.issuer, idp_discovery_url=idp.discovery_url)
    launch.announce(config.base_url, defects=sorted(config.defects), extra=extra)


SANDBOX = BuiltInTarget(
    prog="python -m sandbox", description=__doc__,
    test_mode_help="mount the /__test__/ hooks; also uses fast password hashing",
    who="sandbox", db_name="app.sqlite3", serve=serve, options=check_options,
    add_arguments=add_arguments, usage_errors=(UnknownDefectError, UnknownShapeError, SandboxConfigError),
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(SANDBOX, argv)
