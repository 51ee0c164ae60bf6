"""`python -m authprobe.sandbox.flask_security`: the Flask-Security-Too app plus the mail and SMS sinks.

Same contract as `python -m authprobe.sandbox` (docs/sandbox.md), through the same launcher
(authprobe.sandbox.launcher): secrets from the environment, one JSON ready line on stdout,
SIGTERM/SIGINT/SIGHUP (and, on Linux, the end of the process that started it) stop
everything promptly, a temp database goes with its directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from authprobe.sandbox.flask_security.app import FlaskSecurityConfig, create_app
from authprobe.sandbox.launcher import BuiltInTarget, Launch, no_options, run, serve_wsgi


async def serve(launch: Launch[None]) -> None:
    """The Flask app on werkzeug until a stop signal."""
    args, texts = launch.args, launch.texts
    assert texts is not None  # it texts (BuiltInTarget.sms)
    admin_token = launch.secret("SANDBOX_ADMIN_TOKEN")
    hook_token = launch.secret("SANDBOX_HOOK_TOKEN") if args.test_mode else None
    app = create_app(FlaskSecurityConfig(
        smtp_host=launch.smtp_host, smtp_port=launch.smtp_port, admin_token=admin_token,
        db_uri=f"sqlite:///{launch.db_path.resolve()}", fast_hashing=args.test_mode,
        hook_token=hook_token, sms_api_url=texts.url, sms_account_sid=texts.account_sid,
        sms_auth_token=texts.auth_token,
    ))
    await serve_wsgi(app, launch.host, args.port, "flask-security",
                     lambda port: launch.announce(f"http://{launch.host}:{port}", defects=[],
                                                  extra=launch.sms_fields()))


FLASK_SECURITY = BuiltInTarget(
    prog="python -m authprobe.sandbox.flask_security", description=__doc__,
    test_mode_help="fast password hashing and the key-rotation test hooks",
    who="flask-security", db_name="app.db", serve=serve, options=no_options,
)


def main(argv: Sequence[str] | None = None) -> int:
    return run(FLASK_SECURITY, argv)
