"""`python -m authprobe.sandbox.flask_security`: the Flask-Security-Too app plus the mail sink.

Same contract as `python -m sandbox` (docs/sandbox.md): secrets from the environment,
one JSON ready line on stdout, SIGTERM/SIGINT/SIGHUP (and, on Linux, the end of the process
that started it) stop everything promptly, a temp database goes with its directory.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

from authprobe.sandbox.app import remove_stale_scratch, scratch_dir
from authprobe.sandbox.flask_security.app import FlaskSecurityConfig, create_app
from authprobe.sandbox.mailsink import MailSink
from authprobe.sandbox.server import (
    announce,
    die_with_launcher,
    env_secret,
    launch_parser,
    run_until_stopped,
    serve_wsgi_until_stopped,
    sms_ready,
    start_sms_sink,
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return launch_parser("python -m authprobe.sandbox.flask_security", __doc__,
                         "fast password hashing and the key-rotation test hooks"
                         ).parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    generated: dict[str, str] = {}
    admin_token = env_secret("SANDBOX_ADMIN_TOKEN", generated)
    imap_password = env_secret("SANDBOX_IMAP_PASSWORD", generated)
    hook_token = env_secret("SANDBOX_HOOK_TOKEN", generated) if args.test_mode else None
    sink = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                    imap_user=args.mail_address, imap_password=imap_password)
    await sink.start()
    texts = await start_sms_sink(args, generated)
    scratch = None if args.db else scratch_dir()
    try:
        db_path = Path(args.db) if scratch is None else Path(scratch) / "app.db"
        app = create_app(FlaskSecurityConfig(
            smtp_host=args.host, smtp_port=sink.smtp_port, admin_token=admin_token,
            db_uri=f"sqlite:///{db_path.resolve()}", fast_hashing=args.test_mode,
            hook_token=hook_token, sms_api_url=texts.url, sms_account_sid=texts.account_sid,
            sms_auth_token=texts.auth_token,
        ))
        await serve_wsgi_until_stopped(
            app, args.host, args.port, "flask-security",
            lambda port: announce(f"http://{args.host}:{port}", sink, generated,
                                  test_mode=args.test_mode, defects=[], who="flask-security",
                                  extra=sms_ready(texts.url, texts.account_sid)))
    finally:
        try:
            try:
                await texts.stop()
            finally:
                await sink.stop()
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    if not die_with_launcher():
        remove_stale_scratch()
        return 0
    return run_until_stopped(serve(parse_args(argv)))
