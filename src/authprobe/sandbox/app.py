"""`create_app(config)`: the sandbox ASGI app."""

from __future__ import annotations

import atexit
import os
import shutil

from starlette.applications import Starlette
from starlette.middleware import Middleware

from authprobe.sandbox.api import api_routes
from authprobe.sandbox.config import SandboxConfig
from authprobe.sandbox.context import Sandbox, make_templates
from authprobe.sandbox.db import make_engine, make_sessionmaker
from authprobe.sandbox.defects import validate_defects
from authprobe.sandbox.headers import SecurityHeadersMiddleware
from authprobe.sandbox.mailer import Mailer
from authprobe.sandbox.network import SigninLimit
from authprobe.sandbox.pages import page_routes
from authprobe.sandbox.passkeys import passkey_routes
from authprobe.sandbox.scratch import scratch_dir
from authprobe.sandbox.security import password_hasher
from authprobe.sandbox.shapes import validate_shapes
from authprobe.sandbox.texter import Texter


def create_app(config: SandboxConfig) -> Starlette:
    """Build the app; unknown defect names raise `UnknownDefectError`, unknown or clashing
    shape names `UnknownShapeError`, before anything starts.

    `app.state` holds `sandbox`, `engine` and `db_path` (the SQLite file), so the server can
    seed, dispose and clean up. When the config names no file, the database lives in a
    scratch directory of this process, removed when the interpreter exits (or, should it
    die first, by the next start).
    """
    validate_defects(config.defects)
    validate_shapes(config.shapes)
    db_path = config.db_path
    if db_path is None:
        scratch = scratch_dir()
        atexit.register(shutil.rmtree, scratch, True)
        db_path = os.path.join(scratch, "app.sqlite3")
    hasher = password_hasher(config.hash_profile)
    engine = make_engine(db_path)
    sandbox = Sandbox(
        config=config,
        sessions=make_sessionmaker(engine),
        hasher=hasher,
        mailer=Mailer(config.smtp_host, config.smtp_port, config.mail_from),
        templates=make_templates(),
        dummy_hash=hasher.hash("not a real password"),
        signin_limit=SigninLimit(config),
        texter=Texter(config),
    )
    app = Starlette(
        routes=[*page_routes(sandbox), *passkey_routes(sandbox), *api_routes(sandbox)],
        middleware=[Middleware(SecurityHeadersMiddleware,
                               reflect_origin="cors_reflects_origin" in config.defects)],
    )
    app.state.sandbox = sandbox
    app.state.engine = engine
    app.state.db_path = db_path
    return app
