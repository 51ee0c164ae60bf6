"""`create_app(config)`: the sandbox ASGI app."""

from __future__ import annotations

import os
import tempfile

from starlette.applications import Starlette
from starlette.middleware import Middleware

from sandbox.api import api_routes
from sandbox.config import SandboxConfig
from sandbox.context import Sandbox, make_templates
from sandbox.db import make_engine, make_sessionmaker
from sandbox.defects import validate_defects
from sandbox.headers import SecurityHeadersMiddleware
from sandbox.mailer import Mailer
from sandbox.pages import page_routes
from sandbox.security import password_hasher


def create_app(config: SandboxConfig) -> Starlette:
    """Build the app; unknown defect names raise `UnknownDefectError` before anything starts.

    `app.state` holds `sandbox`, `engine` and `db_path` (the SQLite file, a fresh temp file
    when the config names none), so the server can seed, dispose and clean up.
    """
    validate_defects(config.defects)
    db_path = config.db_path
    if db_path is None:
        fd, db_path = tempfile.mkstemp(prefix="authprobe-sandbox-", suffix=".sqlite3")
        os.close(fd)
    hasher = password_hasher(config.hash_profile)
    engine = make_engine(db_path)
    sandbox = Sandbox(
        config=config,
        sessions=make_sessionmaker(engine),
        hasher=hasher,
        mailer=Mailer(config.smtp_host, config.smtp_port, config.mail_from),
        templates=make_templates(),
        dummy_hash=hasher.hash("not a real password"),
    )
    app = Starlette(
        routes=[*page_routes(sandbox), *api_routes(sandbox)],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )
    app.state.sandbox = sandbox
    app.state.engine = engine
    app.state.db_path = db_path
    return app
