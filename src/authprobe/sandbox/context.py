"""Per-request state: the server session behind the cookie, the signed-in user, cookies to
set, and HTML rendering with the account header. Handlers get one `Ctx` and return a response.

SQLite writes are committed before every `await` (form parsing, hashing, mail, rendering):
the DB calls are synchronous on the event loop, so a write lock held across an await would
stall every other request.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from argon2 import PasswordHasher
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authprobe.sandbox.config import SandboxConfig
from authprobe.sandbox.db import ReauthConfirmation, ServerSession, User, role_rank, roles_for
from authprobe.sandbox.keys import SigningKeys
from authprobe.sandbox.mailer import Mailer
from authprobe.sandbox.network import SigninLimit, admin_allowed, client_address
from authprobe.sandbox.security import digest, new_token, same, verify_password
from authprobe.sandbox.texter import Texter

SESSION_COOKIE = "authprobe_session"
# Only the ui_cached_identity defect sets this "display" cookie.
DISPLAY_COOKIE = "authprobe_display"

# Only the concurrent_session_crosstalk defect uses this: request-scoped data kept in
# module state, which is exactly the bug.
_current_identity: tuple[str | None, str | None] = (None, None)


@dataclass
class Sandbox:
    """Long-lived app state shared by all requests."""

    config: SandboxConfig
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    mailer: Mailer
    templates: jinja2.Environment
    dummy_hash: str
    signin_limit: SigninLimit
    texter: Texter
    keys: SigningKeys = field(default_factory=SigningKeys)
    user_names: set[str] = field(default_factory=set)  # `signup_extra_fields` shape: taken names
    # run before every handler with its Ctx: the refresh of SSO sessions (src/authprobe/sandbox/sso.py)
    before_request: list[Callable[[Ctx], Awaitable[None]]] = field(default_factory=list)

    def has(self, defect: str) -> bool:
        return defect in self.config.defects

    def shape(self, name: str) -> bool:
        return name in self.config.shapes

    async def hash_password(self, password: str) -> str:
        return await run_in_threadpool(self.hasher.hash, password)

    async def check_password(self, stored_hash: str, password: str) -> bool:
        return await run_in_threadpool(verify_password, self.hasher, stored_hash, password)


def make_templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@dataclass
class Header:
    email: str | None
    role: str | None

    @property
    def rank(self) -> int:
        return role_rank(self.role or "")

    @property
    def roles(self) -> list[str]:
        """Every role the user holds (each role includes the ones below it), as the API says."""
        return roles_for(self.role) if self.role else []


@dataclass
class Ctx:
    sandbox: Sandbox
    request: Request
    db: Session
    row: ServerSession | None
    expired: bool
    address: str
    new_cookie: str | None = None
    clear_cookie: bool = False
    display_cookie: str | None = None
    clear_display_cookie: bool = False
    form_data: FormData | None = field(default=None, repr=False)

    @property
    def user(self) -> User | None:
        """The fully signed-in user (password and, when on, MFA done)."""
        row = self.row
        if row is None or row.user_id is None:
            return None
        if row.mfa_pending and not self.sandbox.has("mfa_skippable_by_navigation"):
            return None
        return row.user

    @property
    def role(self) -> str:
        user = self.user
        if user is None:
            return ""
        if self.sandbox.has("role_downgrade_cached") and self.row and self.row.cached_role:
            return self.row.cached_role
        return user.role

    def has(self, defect: str) -> bool:
        return self.sandbox.has(defect)

    def shape(self, name: str) -> bool:
        return self.sandbox.shape(name)


def _cookie_keys(sandbox: Sandbox, request: Request) -> list[bytes]:
    """The keys a session cookie may be signed with: current and inside the grace window."""
    keys = sandbox.keys
    if sandbox.has("rotation_drops_sessions_silently") and keys.rotations:
        # the API tier took the new key with no grace; the page tier never reloaded its ring
        return [keys.current] if request.url.path.startswith("/api/") else keys.ever
    return keys.accepted(forever=sandbox.has("retired_key_accepted_forever"))


def load_session(sandbox: Sandbox, request: Request, db: Session) -> Ctx:
    """Find the session behind the signed cookie, enforce idle/absolute TTL, count the activity.
    A cookie signed with a retired key is a session that has ended, like an expired one."""
    address = client_address(sandbox.config, request)
    signed = request.cookies.get(SESSION_COOKIE)
    raw = sandbox.keys.unsign(signed, _cookie_keys(sandbox, request)) if signed else None
    row: ServerSession | None = None
    expired = signed is not None and raw is None
    if raw:
        row = db.get(ServerSession, digest(raw))
        if row is None:
            expired = True  # deleted as expired earlier, or by a reset elsewhere
        else:
            now = time.time()
            cfg = sandbox.config
            idle = now - row.last_seen > cfg.idle_ttl
            if sandbox.has("idle_timeout_not_enforced"):
                idle = False
            aged = now - row.created_at > cfg.absolute_ttl
            if sandbox.has("absolute_timeout_not_enforced"):
                aged = False
            if idle or aged or _wrong_place(sandbox, row, address):
                expired = row.user_id is not None
                db.delete(row)
                row = None
            else:
                row.last_seen = now
        db.commit()
    return Ctx(sandbox=sandbox, request=request, db=db, row=row, expired=expired, address=address)


def _wrong_place(sandbox: Sandbox, row: ServerSession, address: str) -> bool:
    """A signed-in session used from where its user may not be: a bound session from another
    address, an admin's from outside the admin networks. Such a session is over."""
    user = row.user if row.user_id is not None else None
    if user is None:
        return False
    cfg = sandbox.config
    moved = user.role in cfg.bound_roles and row.address != address
    if moved and not sandbox.has("session_follows_cookie_anywhere"):
        return True
    return (user.role == "admin" and not admin_allowed(cfg, address)
            and not sandbox.has("admin_network_checked_at_signin_only"))


def new_session_row(ctx: Ctx) -> ServerSession:
    raw = new_token()
    now = time.time()
    row = ServerSession(
        id_hash=digest(raw), csrf_token=new_token(), created_at=now, last_seen=now
    )
    ctx.db.add(row)
    ctx.new_cookie = ctx.sandbox.keys.sign(raw)
    return row


def ensure_session(ctx: Ctx) -> ServerSession:
    """An anonymous session appears on the first page that needs a CSRF token."""
    if ctx.row is None:
        ctx.row = new_session_row(ctx)
        ctx.db.commit()
    return ctx.row


# The seeded defect signin_race: sign-ins of one user close together write the same
# "current session" record, and about a third of the time the later one's write is lost:
# that browser is told it signed in and holds a session that belongs to nobody.
_last_signin: dict[int, float] = {}
RACE_WINDOW_S = 2.0
RACE_ODDS = 1 / 3
_race = random.Random()


def _race_lost(user: User, now: float) -> bool:
    last = _last_signin.get(user.id)
    _last_signin[user.id] = now
    return last is not None and now - last < RACE_WINDOW_S and _race.random() < RACE_ODDS


def start_session(ctx: Ctx, user: User, *, mfa_pending: bool, next_path: str | None) -> None:
    """Sign-in and MFA completion: a fresh session id, so a planted id is worthless."""
    if ctx.has("session_fixation") and ctx.row is not None:
        row = ctx.row
        if ctx.shape("reauth"):  # a sign-in starts with no screen confirmed, even on a kept row
            ctx.db.execute(delete(ReauthConfirmation).where(
                ReauthConfirmation.session_hash == row.id_hash))
    else:
        if ctx.row is not None:
            ctx.db.delete(ctx.row)
        row = new_session_row(ctx)
    now = time.time()
    row.user_id = user.id
    row.user = user
    row.mfa_pending = mfa_pending
    row.next_path = next_path
    row.created_at = now
    row.last_seen = now
    row.csrf_token = new_token()
    row.cached_role = user.role
    row.address = ctx.address
    if ctx.has("signin_race") and not mfa_pending and _race_lost(user, now):
        row.user_id, row.user = None, None
    ctx.row = row
    if ctx.has("ui_cached_identity") and not mfa_pending:
        ctx.display_cookie = f"{quote(user.email)}|{user.role}"
    ctx.db.commit()


def end_user_sessions(ctx: Ctx, user: User) -> None:
    ctx.db.execute(delete(ServerSession).where(ServerSession.user_id == user.id))
    if ctx.row is not None and ctx.row.user_id == user.id:
        ctx.row = None


def end_other_sessions(ctx: Ctx, user: User) -> None:
    """End every session of the user except the one behind this request."""
    keep = ctx.row.id_hash if ctx.row is not None else ""
    ctx.db.execute(delete(ServerSession).where(
        ServerSession.user_id == user.id, ServerSession.id_hash != keep))


def rotate_session(ctx: Ctx) -> None:
    """A new id and CSRF token for this request's session, its state kept: the old cookie
    value stops working. Not a new sign-in, so the absolute TTL still counts from sign-in."""
    assert ctx.row is not None
    raw = new_token()
    ctx.row.id_hash = digest(raw)
    ctx.row.csrf_token = new_token()
    ctx.new_cookie = ctx.sandbox.keys.sign(raw)
    ctx.db.commit()


async def form(ctx: Ctx) -> FormData | None:
    """The posted form if its CSRF token matches this session, else None (→ 403)."""
    data = await ctx.request.form()
    ctx.form_data = data
    token = data.get("csrf_token")
    if ctx.row is None or not isinstance(token, str) or not same(token, ctx.row.csrf_token):
        return None
    return data


def field_str(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def safe_next(value: str | None) -> str | None:
    """Only same-origin relative paths; anything else falls back to the default page."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(ch) < 32 for ch in value):
        return None
    return value


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


SLOW_ROLE_LOOKUP_S = 2.5  # over the default 2 s budgets of sign-in and page load


async def header_identity(ctx: Ctx) -> Header:
    global _current_identity
    user = ctx.user
    email, role = (user.email, ctx.role) if user else (None, None)
    if user is not None and ctx.has("slow_role_lookup"):
        await asyncio.sleep(SLOW_ROLE_LOOKUP_S)  # the header's role read by a full table scan
    if email is None and ctx.has("ui_cached_identity"):
        cached = ctx.request.cookies.get(DISPLAY_COOKIE)
        if cached and "|" in cached:
            quoted, _, role = cached.rpartition("|")
            email = unquote(quoted)
    if ctx.has("concurrent_session_crosstalk"):
        _current_identity = (email, role)
        await asyncio.sleep(0.05)  # "avatar lookup" between setting and reading shared state
        email, role = _current_identity
    return Header(email=email, role=role)


async def render(
    ctx: Ctx, template: str, page_id: str, h1: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    row = ensure_session(ctx)
    return await _render(ctx, row.csrf_token, template, page_id, h1, status_code, **values)


async def render_without_session(ctx: Ctx, template: str, page_id: str, h1: str,
                                 **values: Any) -> HTMLResponse:
    """A page with no form that starts no session: for the visitor whose session just ended."""
    return await _render(ctx, "", template, page_id, h1, 200, **values)


async def _render(
    ctx: Ctx, csrf_token: str, template: str, page_id: str, h1: str, status_code: int,
    **values: Any,
) -> HTMLResponse:
    ctx.db.commit()
    header = await header_identity(ctx)
    html = ctx.sandbox.templates.get_template(template).render(
        page_id=page_id, h1=h1, header=header, csrf_token=csrf_token, page_path=ctx.request.url.path,
        shapes=ctx.sandbox.config.shapes,
        status=values.pop("status", None), alert=values.pop("alert", None), **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    if ctx.has("shared_device_cache") and ctx.user is not None:
        response.headers["Cache-Control"] = "private, max-age=600"
    return response


async def forbidden(ctx: Ctx) -> HTMLResponse:
    return await render(ctx, "simple.html", "forbidden", "Forbidden", 403,
                        message="You do not have access to this page.")


async def require(ctx: Ctx, min_role: str = "member") -> Response | None:
    """None when the signed-in user may see the page; otherwise the redirect or 403 page."""
    if ctx.user is None:
        target = ctx.request.url.path
        if ctx.request.url.query:
            target += "?" + ctx.request.url.query
        prefix = "/login?expired=1&next=" if ctx.expired else "/login?next="
        return redirect(prefix + quote(target, safe="/"))
    if role_rank(ctx.role) < role_rank(min_role):
        return await forbidden(ctx)
    return None


def apply_cookies(ctx: Ctx, response: Response) -> None:
    secure = ctx.sandbox.config.secure_cookies
    if ctx.new_cookie is not None:
        response.set_cookie(
            SESSION_COOKIE, ctx.new_cookie, path="/", samesite="lax", secure=secure,
            httponly=not ctx.has("cookie_missing_httponly"),
        )
    elif ctx.clear_cookie:
        response.delete_cookie(SESSION_COOKIE, path="/", samesite="lax", secure=secure)
    if ctx.display_cookie is not None:
        response.set_cookie(DISPLAY_COOKIE, ctx.display_cookie, path="/", samesite="lax")
    elif ctx.clear_display_cookie:
        response.delete_cookie(DISPLAY_COOKIE, path="/")


Handler = Callable[[Ctx], Awaitable[Response]]


def endpoint(sandbox: Sandbox, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: one DB session per request, session load, commit, cookies."""

    async def run(request: Request) -> Response:
        with sandbox.sessions() as db:
            ctx = load_session(sandbox, request, db)
            for hook in sandbox.before_request:
                await hook(ctx)
            response = await handler(ctx)
            db.commit()
            apply_cookies(ctx, response)
            return response

    return run
