"""`python -m sandbox.flask_security`: the Flask-Security-Too app plus the mail sink.

Same contract as `python -m sandbox` (docs/sandbox.md): secrets from the environment,
one JSON ready line on stdout, SIGTERM/SIGINT stop everything promptly.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from werkzeug.serving import make_server

from sandbox.flask_security.app import FlaskSecurityConfig, create_app
from sandbox.mailsink import MailSink
from sandbox.server import announce, env_secret, launch_parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return launch_parser("python -m sandbox.flask_security", __doc__,
                         "fast password hashing for test runs (this app has no test hooks)"
                         ).parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    generated: dict[str, str] = {}
    admin_token = env_secret("SANDBOX_ADMIN_TOKEN", generated)
    imap_password = env_secret("SANDBOX_IMAP_PASSWORD", generated)
    sink = MailSink(host=args.host, smtp_port=args.smtp_port, imap_port=args.imap_port,
                    imap_user=args.mail_address, imap_password=imap_password)
    await sink.start()
    with tempfile.TemporaryDirectory(prefix="authprobe-fs-") as scratch:
        db_path = Path(args.db) if args.db else Path(scratch) / "app.db"
        app = create_app(FlaskSecurityConfig(
            smtp_host=args.host, smtp_port=sink.smtp_port, admin_token=admin_token,
            db_uri=f"sqlite:///{db_path.resolve()}", fast_hashing=args.test_mode,
        ))
        server = make_server(args.host, args.port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="flask-security", daemon=True)
        thread.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            announce(f"http://{args.host}:{server.server_port}", sink, generated,
                     test_mode=False, defects=[], who="flask-security")  # no hooks here
            await stop.wait()
        finally:
            await asyncio.to_thread(server.shutdown)
            thread.join(timeout=2)
            await sink.stop()


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(serve(parse_args(argv)))
    return 0
