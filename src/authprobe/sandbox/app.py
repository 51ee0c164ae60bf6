"""`create_app(config)`: the sandbox ASGI app.

Also the temp-directory naming every built-in target and its launchers share: a scratch
directory is `authprobe-target-PID-…` in the temp folder, PID being the process that owns
it, so any later start can remove the ones whose owner died without cleaning up
(src/authprobe/target/child.py keeps a copy of this naming for the launchers: sandbox imports no harness).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

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
from authprobe.sandbox.security import password_hasher
from authprobe.sandbox.shapes import validate_shapes
from authprobe.sandbox.texter import Texter

SCRATCH_PREFIX = "authprobe-target-"


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie does not); unknown counts as alive."""
    if os.name == "nt":
        return True  # no cheap, harmless probe there (os.kill would terminate it)
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                state = stat.read().rpartition(b")")[2].split()[:1]
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return state not in ([b"Z"], [b"X"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours to signal
    return True


def remove_stale_scratch(parent: str | None = None) -> list[str]:
    """Remove this user's `authprobe-target-PID-…` directories whose PID is gone."""
    parent = parent or tempfile.gettempdir()
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed: list[str] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        pid = entry.name[len(SCRATCH_PREFIX):].partition("-")[0]
        if not entry.name.startswith(SCRATCH_PREFIX) or not pid.isdigit():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or (
                    uid is not None and entry.stat(follow_symlinks=False).st_uid != uid):
                continue
        except OSError:
            continue
        if not process_alive(int(pid)):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def scratch_dir() -> str:
    """A fresh private temp directory owned by this process (stale ones are removed first)."""
    remove_stale_scratch()
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")


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
        routes=[*page_routes(sandbox), *api_routes(sandbox)],
        middleware=[Middleware(SecurityHeadersMiddleware,
                               reflect_origin="cors_reflects_origin" in config.defects)],
    )
    app.state.sandbox = sandbox
    app.state.engine = engine
    app.state.db_path = db_path
    return app
