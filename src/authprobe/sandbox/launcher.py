"""The one start-up and teardown of the built-in targets (the launch contract of docs/sandbox.md).

`python -m authprobe.sandbox`, `…flask_security` and `…django_two_factor` each describe
themselves as a `BuiltInTarget` (their app, their options, their defaults) and hand it to
`run`, which does what they share: the common flags (--host, --port, --smtp-port,
--imap-port, --smtp-relay, --sms-port, --test-mode, --mail-address, --db), secrets from the environment
(generated ones shown once on stderr), the scratch directory that holds the database
without --db, the mail sink and the SMS sink, the one JSON ready line on stdout, and a
prompt, clean stop on SIGTERM/SIGINT/SIGHUP or (Linux) when the launcher ends.

Exit codes: 0 after a clean stop (a launcher already gone included), 2 when an option or
a setting from the environment is refused (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import errno
import inspect
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from authprobe.errors import PortInUse
from authprobe.sandbox.mailsink import MailSink
from authprobe.sandbox.scratch import remove_stale_scratch, scratch_dir
from authprobe.sandbox.smssink import SmsSink

if TYPE_CHECKING:
    from starlette.types import ASGIApp

LAUNCHER_ENV = "AUTHPROBE_LAUNCHER_PID"  # set by src/authprobe/target/child.py: the pid that started us
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                     if hasattr(signal, name))
SMS_ACCOUNT_SID = "AC" + "5a" * 16  # the sink's one account (Twilio's form: AC and 32 hex digits)
USAGE_ERROR = 2
_PR_SET_PDEATHSIG = 1

Options = TypeVar("Options")


def die_with_launcher() -> bool:
    """Ask the kernel for SIGTERM when the process that started us ends (Linux; elsewhere a
    no-op), however it ends, SIGKILL included. Called first thing by `run`.

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
    handlers (which the serving helpers install for STOP_SIGNALS) still unwinds through its
    clean-up. Stale scratch directories are removed before and after, the latter including
    the one of a launcher that died while we ran."""
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
    parser.add_argument("--smtp-relay", default=None, metavar="HOST:PORT", type=_host_port,
                        help="send the app's mail to this SMTP server (a mail catcher such as "
                        "MailDev) instead of the built-in sink")
    parser.add_argument("--sms-port", type=int, default=0,
                        help="the SMS sink (Twilio's Messages API); 0 picks a free port")
    parser.add_argument("--test-mode", action="store_true", help=test_mode_help)
    parser.add_argument("--mail-address", default="qa@sandbox.test")
    parser.add_argument("--db", default=None, metavar="PATH",
                        help="SQLite file, never deleted (default: a fresh temp file, deleted at stop)")
    return parser


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host, int(port)


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A target with only the common options."""


def no_options(args: argparse.Namespace) -> None:
    """For a target with nothing of its own to check before it starts."""


@dataclass(frozen=True)
class BuiltInTarget(Generic[Options]):
    """What one built-in target adds to the shared launch: its name, its options, its app.

    `options` checks the parsed flags and the environment before anything starts; one of
    `usage_errors` from it ends the start with exit code 2 and its sentence on stderr.
    `serve` builds the app and serves it until a stop signal (`serve_asgi`/`serve_wsgi`),
    announcing it through `Launch.announce`.
    """

    prog: str  # as in `python -m authprobe.sandbox`, for --help
    description: str | None
    test_mode_help: str
    who: str  # names the target in the generated-secrets banner
    db_name: str  # its database file inside the scratch directory
    serve: Callable[[Launch[Options]], Awaitable[None]]
    options: Callable[[argparse.Namespace], Options]
    add_arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    usage_errors: tuple[type[Exception], ...] = ()
    sms: bool = True  # whether it texts (starts the SMS sink)


@dataclass
class Launch(Generic[Options]):
    """One start of a target as `BuiltInTarget.serve` sees it: flags, checked options, the
    database file, the started sinks, and the secrets it took from the environment."""

    target: BuiltInTarget[Options]
    args: argparse.Namespace
    options: Options
    db_path: Path  # --db made absolute, or the database file in the scratch directory
    mail: MailSink
    texts: SmsSink | None
    generated: dict[str, str] = field(default_factory=dict)  # name → value, shown once

    @property
    def host(self) -> str:
        return str(self.args.host)

    @property
    def smtp_host(self) -> str:
        """Where the app sends its mail: --smtp-relay's host, else the built-in sink's."""
        return str(self.args.smtp_relay[0]) if self.args.smtp_relay else self.mail.host

    @property
    def smtp_port(self) -> int:
        return int(self.args.smtp_relay[1]) if self.args.smtp_relay else self.mail.smtp_port

    @property
    def test_mode(self) -> bool:
        return bool(self.args.test_mode)

    def secret(self, env_name: str, *, shown: bool = True) -> str:
        """The environment's value, else a generated one (listed on stderr when `shown`)."""
        return env_secret(env_name, self.generated if shown else {})

    def sms_fields(self) -> dict[str, object]:
        """The ready line's fields that name the SMS gateway (its token came by environment)."""
        if self.texts is None or not self.texts.url:
            return {}
        return {"sms_api_url": self.texts.url, "sms_account_sid": self.texts.account_sid}

    def announce(self, base_url: str, *, defects: list[str],
                 extra: Mapping[str, object] | None = None) -> None:
        """Generated secrets once on stderr, then the one JSON ready line of docs/sandbox.md
        (with `extra` fields, such as the sandbox's command_env and admin_email)."""
        if self.generated:
            lines = [f"  {name}={value}" for name, value in sorted(self.generated.items())]
            banner = f"authprobe {self.target.who} generated these secrets (set them in the env to choose):"
            print("\n".join([banner, *lines]), file=sys.stderr, flush=True)
        sink = self.mail
        ready = {
            "ready": True, "base_url": base_url, "smtp_port": sink.smtp_port,
            "imap_host": sink.host, "imap_port": sink.imap_port, "imap_user": sink.imap_user,
            "mail_address": sink.imap_user, "test_mode": self.test_mode, "defects": defects,
            **(extra or {}),
        }
        print(json.dumps(ready), flush=True)


def env_secret(env_name: str, generated: dict[str, str]) -> str:
    """The environment's value of `env_name`, else a fresh one recorded in `generated`."""
    value = os.environ.get(env_name)
    if value:
        return value
    generated[env_name] = value = secrets.token_urlsafe(24)
    return value


def run(target: BuiltInTarget[Options], argv: Sequence[str] | None = None) -> int:
    """A target's `main`: parse, check, then serve until stopped; the exit code."""
    if not die_with_launcher():
        remove_stale_scratch()
        return 0
    parser = launch_parser(target.prog, target.description, target.test_mode_help)
    target.add_arguments(parser)
    args = parser.parse_args(argv)
    refused: tuple[type[Exception], ...] = (*target.usage_errors, PortInUse)
    try:
        options = target.options(args)
        check_ports_free(args)
    except refused as exc:
        print(exc, file=sys.stderr)
        return USAGE_ERROR
    try:
        return run_until_stopped(_serve(target, args, options))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        # taken between the check above and the bind: the same sentence, naming its flag
        try:
            check_ports_free(args)
        except PortInUse as taken:
            print(taken, file=sys.stderr)
        else:
            print(f"A port was taken while the target started ({exc.strerror}) and is free again; "
                  "start it again, or pass 0 for its port.", file=sys.stderr)
        return USAGE_ERROR


PORT_FLAGS = ("port", "smtp_port", "imap_port", "sms_port")


def check_ports_free(args: argparse.Namespace) -> None:
    """Refuse, in one sentence, a port given explicitly that something already listens on: the
    bind would fail half-way through the start-up, as a traceback (0 picks a free port)."""
    for name in PORT_FLAGS:
        port = getattr(args, name, 0)
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as `bind` below
            try:
                probe.bind((args.host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                flag = "--" + name.replace("_", "-")
                raise PortInUse(f"Port {port} on {args.host} ({flag}) is already in use, perhaps by "
                                f"another target still running: stop it, or pass {flag} 0 for a free "
                                "port.") from None


async def _serve(target: BuiltInTarget[Options], args: argparse.Namespace, options: Options) -> None:
    """The sinks around the target's own serving; a scratch database goes with its directory."""
    scratch = None if args.db else scratch_dir()
    db_path = Path(os.path.abspath(args.db)) if scratch is None else Path(scratch) / target.db_name
    generated: dict[str, str] = {}
    try:
        mail = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                        imap_user=args.mail_address,
                        imap_password=env_secret("SANDBOX_IMAP_PASSWORD", generated))
        await mail.start()
        try:
            texts = None
            if target.sms:
                texts = SmsSink(args.host, args.sms_port, SMS_ACCOUNT_SID,
                                env_secret("SANDBOX_SMS_AUTH_TOKEN", generated))
                await texts.start()
            try:
                await target.serve(Launch(target, args, options, db_path, mail, texts, generated))
            finally:
                if texts is not None:
                    await texts.stop()
        finally:
            await mail.stop()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def bind(host: str, port: int) -> socket.socket:
    """A listening address taken before the app is built (the app needs its own URL)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def serve_asgi(app: ASGIApp, sock: socket.socket, ready: Callable[[], None]) -> None:
    """An ASGI app (the sandbox) on uvicorn in this loop until a stop signal; `ready()`
    announces it once uvicorn listens."""
    import uvicorn  # noqa: PLC0415 (only the ASGI target needs it)

    from authprobe.sandbox.quiet_server import QuietServer  # noqa: PLC0415 (likewise)

    server = QuietServer(uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1,
    ))
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, setattr, server, "should_exit", True)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        ready()
    await task


async def serve_wsgi(app: Any, host: str, port: int, name: str,
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
