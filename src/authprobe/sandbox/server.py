"""`python -m sandbox`: the app under uvicorn plus the mail sink, in one asyncio loop.

Prints one JSON ready line on stdout; SIGTERM/SIGINT/SIGHUP stop everything promptly, and
(on Linux) so does the end of the process that started it. Secrets come from the
environment; generated ones are shown once on stderr. In test mode SANDBOX_ADMIN_PASSWORD
seeds an admin account. Without --db the database lives in a temp directory the server
removes when it stops (or the next start does, should this one be killed).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import inspect
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvicorn

from authprobe.sandbox.accounts import MIN_PASSWORD, create_user, find_user, normalize_email, valid_email
from authprobe.sandbox.app import create_app, remove_stale_scratch, scratch_dir
from authprobe.sandbox.config import SandboxConfig
from authprobe.sandbox.context import Sandbox
from authprobe.sandbox.defects import UnknownDefectError, validate_defects
from authprobe.sandbox.mailsink import MailSink
from authprobe.sandbox.quiet_server import QuietServer
from authprobe.sandbox.shapes import SHAPES, UnknownShapeError, validate_shapes
from authprobe.sandbox.smssink import SmsSink

LAUNCHER_ENV = "AUTHPROBE_LAUNCHER_PID"  # set by src/authprobe/target/child.py: the pid that started us
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                     if hasattr(signal, name))
_PR_SET_PDEATHSIG = 1


def die_with_launcher() -> bool:
    """Ask the kernel for SIGTERM when the process that started us ends (Linux; elsewhere a
    no-op), however it ends, SIGKILL included. Call it first thing in a target's main().

    False when the launcher (env AUTHPROBE_LAUNCHER_PID) is already gone: it died before
    the request was in place, so nobody would ever stop us; the caller exits at once.
    """
    launcher = os.environ.pop(LAUNCHER_ENV, "")
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    return not launcher.isdigit() or os.getppid() == int(launcher)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_until_stopped(main: Coroutine[Any, Any, None]) -> int:
    """`asyncio.run(main)` for a target: a stop signal that arrives before the loop's own
    handlers (which `main` installs for STOP_SIGNALS) still unwinds through its clean-up.
    Stale scratch directories are removed before and after, the latter including the one
    of a launcher that died while we ran."""
    for sig in STOP_SIGNALS:
        if sig != signal.SIGINT:  # SIGINT already raises KeyboardInterrupt
            signal.signal(sig, _interrupt)
    try:
        remove_stale_scratch()
        asyncio.run(main)
    except KeyboardInterrupt:
        pass
    finally:
        if inspect.getcoroutinestate(main) == inspect.CORO_CREATED:
            main.close()  # the stop came before it ran: no "never awaited" warning
        remove_stale_scratch()
    return 0


def launch_parser(prog: str, description: str | None, test_mode_help: str) -> argparse.ArgumentParser:
    """The options every built-in target takes (the launch contract of docs/sandbox.md)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--imap-port", type=int, default=0)
    parser.add_argument("--sms-port", type=int, default=0,
                        help="the SMS sink (Twilio's Messages API); 0 picks a free port")
    parser.add_argument("--test-mode", action="store_true", help=test_mode_help)
    parser.add_argument("--mail-address", default="qa@sandbox.test")
    parser.add_argument("--db", default=None, metavar="PATH",
                        help="SQLite file, never deleted (default: a fresh temp file, deleted at stop)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = launch_parser("python -m sandbox", __doc__,
                           "mount the /__test__/ hooks; also uses fast password hashing")
    parser.add_argument("--defect", action="append", default=[], metavar="NAME")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME",
                        help="present a UI/API shape of real auth stacks (repeatable): "
                             + ", ".join(sorted(SHAPES)))
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
SMS_ACCOUNT_SID = "AC" + "5a" * 16  # the sink's one account (Twilio's form: AC and 32 hex digits)


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


async def start_sms_sink(args: argparse.Namespace, generated: dict[str, str]) -> SmsSink:
    """The target's SMS gateway (`--sms-port`, token SANDBOX_SMS_AUTH_TOKEN), started."""
    sink = SmsSink(args.host, args.sms_port, SMS_ACCOUNT_SID,
                   env_secret("SANDBOX_SMS_AUTH_TOKEN", generated))
    await sink.start()
    return sink


def sms_ready(api_url: str | None, account_sid: str) -> dict[str, object]:
    """The ready line's fields that name the SMS gateway (its token came by environment)."""
    return {"sms_api_url": api_url, "sms_account_sid": account_sid} if api_url else {}


async def seed_admin(sandbox: Sandbox, seed: AdminSeed) -> None:
    """Create the active admin account unless that email already has an account."""
    with sandbox.sessions() as db:
        if find_user(db, seed.email) is None:
            await create_user(sandbox, db, seed.email, seed.password, role="admin", active=True)
            db.commit()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def serve(args: argparse.Namespace, defects: frozenset[str],
                seed: AdminSeed | None = None, shapes: frozenset[str] = frozenset()) -> None:
    """Run until a stop signal; a temp database (no --db) is removed with its directory."""
    scratch = None if args.db else scratch_dir()
    db_path = os.path.abspath(args.db) if scratch is None else os.path.join(scratch, "app.sqlite3")
    try:
        await _serve(args, defects, seed, db_path, shapes)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


async def _serve(args: argparse.Namespace, defects: frozenset[str], seed: AdminSeed | None,
                 db_path: str, shapes: frozenset[str]) -> None:
    generated: dict[str, str] = {}
    admin_token = env_secret("SANDBOX_ADMIN_TOKEN", generated)
    hook_token = env_secret("SANDBOX_HOOK_TOKEN", generated)
    imap_password = env_secret("SANDBOX_IMAP_PASSWORD", generated)
    if not args.test_mode:
        generated.pop("SANDBOX_HOOK_TOKEN", None)  # no hooks, nothing to show

    sink = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                    imap_user=args.mail_address, imap_password=imap_password)
    await sink.start()
    texts = await start_sms_sink(args, generated)
    try:
        sock = _bind(args.host, args.port)
        base_url = f"http://{args.host}:{sock.getsockname()[1]}"
        config = SandboxConfig(
            base_url=base_url, smtp_host=args.host, smtp_port=sink.smtp_port,
            admin_token=admin_token, hook_token=hook_token, test_mode=args.test_mode,
            idle_ttl=args.idle_ttl, absolute_ttl=args.absolute_ttl, reset_ttl=args.reset_ttl,
            defects=defects, shapes=shapes, db_path=db_path,
            hash_profile="fast" if args.test_mode else "default",
            sms_api_url=texts.url, sms_account_sid=texts.account_sid,
            sms_auth_token=texts.auth_token,
        )
        app = create_app(config)
        try:
            if seed is not None:
                await seed_admin(app.state.sandbox, seed)
            server = QuietServer(uvicorn.Config(
                app, log_level="warning", access_log=False, lifespan="off",
                timeout_graceful_shutdown=1,
            ))
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
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
        try:
            await texts.stop()
        finally:
            await sink.stop()


def _announce(config: SandboxConfig, sink: MailSink, generated: dict[str, str], db_path: str,
              seed: AdminSeed | None) -> None:
    extra: dict[str, object] = {
        "command_env": {"SANDBOX_DB": db_path, "SANDBOX_HASH_PROFILE": config.hash_profile},
        **sms_ready(config.sms_api_url, config.sms_account_sid),
    }
    if seed is not None:
        extra["admin_email"] = seed.email
    if config.shapes:  # absent without --shape, so that ready line stays as it always was
        extra["shapes"] = sorted(config.shapes)
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


async def serve_wsgi_until_stopped(app: Any, host: str, port: int, name: str,
                                   ready: Callable[[int], None]) -> None:
    """A WSGI app (the Flask and Django targets) on werkzeug's threaded server until a stop
    signal; `ready(port)` announces it. Polls every 0.1 s so a stop takes well under a second."""
    from werkzeug.serving import make_server  # noqa: PLC0415 (only the WSGI targets need it)

    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name=name, daemon=True)
    thread.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        ready(server.server_port)
        await stop.wait()
    finally:
        await asyncio.to_thread(server.shutdown)
        thread.join(timeout=2)


def main(argv: Sequence[str] | None = None) -> int:
    if not die_with_launcher():
        remove_stale_scratch()
        return 0
    args = parse_args(argv)
    try:
        defects = validate_defects(args.defect)
        shapes = validate_shapes(args.shape)
        seed = admin_seed(args.test_mode)
    except (UnknownDefectError, UnknownShapeError, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_until_stopped(serve(args, defects, seed, shapes))
