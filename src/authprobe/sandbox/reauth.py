"""`reauth` shape: sensitive screens ask for the password again first ("sudo mode").

A screen is shown only when this session has answered the prompt for that very screen (so
the first visit of each after sign-in is always prompted) and its last password entry is
under REAUTH_WINDOW old. Sign-in starts a session with nothing confirmed, so the password
typed there never spares a prompt. The screen's form posts are checked the same way, so a
confirmation that ran out between showing a form and posting it sends the user back to the
prompt instead of acting.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from sqlalchemy import select
from starlette.responses import Response

from authprobe.sandbox.context import Ctx, field_str, forbidden, form, redirect, render, require, safe_next
from authprobe.sandbox.db import ReauthConfirmation

REAUTH_PATH = "/account/reauth"
REAUTH_WINDOW = 300  # seconds
SENSITIVE_SCREENS: tuple[str, ...] = (
    "/account/mfa", "/account/password", "/account/recovery-codes", "/account/delete",
    "/account/passkeys",
)
WRONG_PASSWORD = "That password is not correct."
_OTHER = "*"  # a confirmation made for a path that is no sensitive screen


def confirmed(ctx: Ctx, screen: str) -> bool:
    """Whether this session answered the prompt for `screen` and did so recently enough."""
    assert ctx.row is not None
    rows = ctx.db.scalars(select(ReauthConfirmation).where(
        ReauthConfirmation.session_hash == ctx.row.id_hash)).all()
    if not any(row.screen == screen for row in rows):
        return False  # first visit of this screen since sign-in
    last_password_entry = max(row.confirmed_at for row in rows)
    return time.time() - last_password_entry < REAUTH_WINDOW


def reauth_gate(ctx: Ctx, screen: str) -> Response | None:
    """None when `screen` may be shown (or the shape is off), else the redirect to the prompt.
    Call it after `require`, for a signed-in user."""
    if not ctx.shape("reauth") or confirmed(ctx, screen):
        return None
    return redirect(f"{REAUTH_PATH}?next={quote(screen, safe='/')}")


async def _prompt(ctx: Ctx, next_path: str, status_code: int = 200, **values: object) -> Response:
    return await render(ctx, "reauth.html", "reauth", "Confirm your password", status_code,
                        next_path=next_path, action=ctx.request.url.path, **values)


async def reauth_page(ctx: Ctx) -> Response:
    """GET/POST /account/reauth?next=PATH: the password prompt; a right password goes on to
    `next` (a local path only, else /account) and confirms that screen."""
    if (denied := await require(ctx)) is not None:
        return denied
    user, row = ctx.user, ctx.row
    assert user is not None and row is not None
    if ctx.request.method == "GET":
        return await _prompt(ctx, safe_next(ctx.request.query_params.get("next")) or "/account")
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    next_path = safe_next(field_str(data, "next")) or "/account"
    if not await ctx.sandbox.check_password(user.password_hash, field_str(data, "password")):
        return await _prompt(ctx, next_path, 400, alert=WRONG_PASSWORD)
    screen = next_path.partition("?")[0]
    ctx.db.merge(ReauthConfirmation(
        session_hash=row.id_hash, screen=screen if screen in SENSITIVE_SCREENS else _OTHER,
        confirmed_at=time.time(),
    ))
    return redirect(next_path)
