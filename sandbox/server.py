"""`python -m sandbox`: the app under uvicorn plus the mail sink, in one asyncio loop.

Prints one JSON ready line on stdout; SIGTERM/SIGINT stop everything promptly.
Secrets come from the environment; generated ones are shown once on stderr. In test mode
SANDBOX_ADMIN_PASSWORD seeds an admin account. Without --db the database is a temp file
the server removes when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import uvicorn

from sandbox.accounts import MIN_PASSWORD, create_user, find_user, normalize_email, valid_email
from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.context import Sandbox
from sandbox.defects import UnknownDefectError, validate_defects
from sandbox.mailsink import MailSink


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal capture: we own shutdown, and uvicorn would re-raise
    the signal after a graceful stop, turning a clean exit into death-by-signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def launch_parser(prog: str, description: str | None, test_mode_help: str) -> argparse.ArgumentParser:
    """The options every built-in target takes (the launch contract of docs/sandbox.md)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--imap-port", type=int, default=0)
    parser.add_argument("--test-mode", action="store_true", help=test_mode_help)
    parser.add_argument("--mail-address", default="qa@sandbox.test")
    parser.add_argument("--db", default=None, metavar="PATH",
                        help="SQLite file (default: a fresh temp file)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = launch_parser("python -m sandbox", __doc__,
                           "mount the /__test__/ hooks; also uses fast password hashing")
    parser.add_argument("--defect", action="append", default=[], metavar="NAME")
    parser.add_argument("--idle-ttl", type=int, default=1800, metavar="SECONDS")
    parser.add_argument("--absolute-ttl", type=int, default=28800, metavar="SECONDS")
    parser.add_argument("--reset-ttl", type=int, default=900, metavar="SECONDS")
    return parser.parse_args(argv)


def env_secret(env_name: str, generated: dict[str, str]) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    generated[env_name] = value = secrets.token_urlsafe(24)
    return value


DEFAULT_ADMIN_EMAIL = "admin@sandbox.test"


class ConfigError(ValueError):
    """A setting from the environment the sandbox cannot start with."""


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
        raise ConfigError("SANDBOX_ADMIN_PASSWORD seeds an admin only with --test-mode; "
                          "add --test-mode or unset it.")
    email = normalize_email(os.environ.get("SANDBOX_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL)
    if not valid_email(email):
        raise ConfigError(f"SANDBOX_ADMIN_EMAIL is not a valid email address: {email}.")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"SANDBOX_ADMIN_PASSWORD must be at least {MIN_PASSWORD} characters.")
    return AdminSeed(email, password)


async def seed_admin(sandbox: Sandbox, seed: AdminSeed) -> None:
    """Create the active admin account unless that email already has an account."""
    with sandbox.sessions() as db:
        if find_user(db, seed.email) is None:
            await create_user(sandbox, db, seed.email, seed.password, role="admin", active=True)
            db.commit()


def temp_db() -> str:
    fd, path = tempfile.mkstemp(prefix="authprobe-sandbox-", suffix=".sqlite3")
    os.close(fd)
    return path


def remove_db(path: str) -> None:
    """Delete a SQLite file the server created, with its WAL and shared-memory files."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def serve(args: argparse.Namespace, defects: frozenset[str],
                seed: AdminSeed | None = None) -> None:
    """Run until SIGTERM/SIGINT; a temp database (no --db) is removed afterwards."""
    db_path = os.path.abspath(args.db) if args.db else temp_db()
    try:
        await _serve(args, defects, seed, db_path)
    finally:
        if not args.db:
            remove_db(db_path)


async def _serve(args: argparse.Namespace, defects: frozenset[str], seed: AdminSeed | None,
                 db_path: str) -> None:
    generated: dict[str, str] = {}
    admin_token = env_secret("SANDBOX_ADMIN_TOKEN", generated)
    hook_token = env_secret("SANDBOX_HOOK_TOKEN", generated)
    imap_password = env_secret("SANDBOX_IMAP_PASSWORD", generated)
    if not args.test_mode:
        generated.pop("SANDBOX_HOOK_TOKEN", None)  # no hooks, nothing to show

    sink = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                    imap_user=args.mail_address, imap_password=imap_password)
    await sink.start()
    try:
        sock = _bind(args.host, args.port)
        base_url = f"http://{args.host}:{sock.getsockname()[1]}"
        config = SandboxConfig(
            base_url=base_url, smtp_host=args.host, smtp_port=sink.smtp_port,
            admin_token=admin_token, hook_token=hook_token, test_mode=args.test_mode,
            idle_ttl=args.idle_ttl, absolute_ttl=args.absolute_ttl, reset_ttl=args.reset_ttl,
            defects=defects, db_path=db_path,
            hash_profile="fast" if args.test_mode else "default",
        )
        app = create_app(config)
        try:
            if seed is not None:
                await seed_admin(app.state.sandbox, seed)
            server = _QuietServer(uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="off",
                timeout_graceful_shutdown=1,
            ))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, setattr, server, "should_exit", True)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
            if server.started:
                _announce(config, sink, generated, db_path, seed)
            await task
        finally:
            app.state.engine.dispose()
    finally:
        await sink.stop()


def _announce(config: SandboxConfig, sink: MailSink, generated: dict[str, str], db_path: str,
              seed: AdminSeed | None) -> None:
    extra: dict[str, object] = {
        "command_env": {"SANDBOX_DB": db_path, "SANDBOX_HASH_PROFILE": config.hash_profile},
    }
    if seed is not None:
        extra["admin_email"] = seed.email
    announce(config.base_url, sink, generated, test_mode=config.test_mode,
             defects=sorted(config.defects), extra=extra)


def announce(base_url: str, sink: MailSink, generated: dict[str, str], *, test_mode: bool,
             defects: list[str], who: str = "sandbox",
             extra: Mapping[str, object] | None = None) -> None:
    """Generated secrets once on stderr, then the one JSON ready line of docs/sandbox.md
    (with `extra` fields, such as the sandbox's command_env and admin_email)."""
    if generated:
        lines = [f"  {name}={value}" for name, value in sorted(generated.items())]
        banner = f"authprobe {who} generated these secrets (set them in the env to choose):"
        print("\n".join([banner, *lines]), file=sys.stderr, flush=True)
    ready = {
        "ready": True, "base_url": base_url, "smtp_port": sink.smtp_port,
        "imap_host": sink.host, "imap_port": sink.imap_port, "imap_user": sink.imap_user,
        "mail_address": sink.imap_user, "test_mode": test_mode, "defects": defects,
        **(extra or {}),
    }
    print(json.dumps(ready), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        defects = validate_defects(args.defect)
        seed = admin_seed(args.test_mode)
    except (UnknownDefectError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    asyncio.run(serve(args, defects, seed))
    return 0
