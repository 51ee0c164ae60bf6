"""JSON endpoints: the session oracle, per-role APIs, the bearer-token admin API and the
test hooks (mounted only in test mode). The `probe_selectors` shape reshapes the oracle and
adds /api/me."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authprobe.sandbox.accounts import MIN_PASSWORD, create_user, enable_mfa, find_user, valid_email
from authprobe.sandbox.context import Ctx, Handler, Sandbox, endpoint
from authprobe.sandbox.db import ROLES, ServerSession, SmsCode, Token, User, role_rank, roles_for
from authprobe.sandbox.network import hook_allowed
from authprobe.sandbox.passkeys import second_factor
from authprobe.sandbox.security import new_totp_secret, same
from authprobe.sandbox.sso import signed_in_with


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def bearer_ok(ctx: Ctx) -> bool:
    header = ctx.request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and same(token, ctx.sandbox.config.admin_token)


def _mfa_pending(ctx: Ctx) -> bool:
    return ctx.row is not None and ctx.row.user_id is not None and ctx.row.mfa_pending


async def api_session(ctx: Ctx) -> Response:
    if ctx.shape("probe_selectors"):
        return _session_with_pending_steps(ctx)
    user = ctx.user
    if user is not None:
        return JSONResponse({"authenticated": True, "mfa_pending": False,
                             "user": {"email": user.email, "roles": roles_for(ctx.role),
                                      "signed_in_with": signed_in_with(ctx),
                                      "second_factor": second_factor(ctx)},
                             "client_address": ctx.address})
    return JSONResponse({"authenticated": False, "mfa_pending": _mfa_pending(ctx), "user": None,
                         "client_address": ctx.address})


NOT_SIGNED_IN = "not signed in"


def _session_with_pending_steps(ctx: Ctx) -> Response:
    """`probe_selectors` shape: 200 with the email when signed in, else 401 with the sign-in
    steps still pending (the TOTP step after a right password)."""
    user = ctx.user
    if user is not None:
        return JSONResponse({"email": user.email, "pending": []})
    pending = [{"type": "second_factor"}] if _mfa_pending(ctx) else []
    return JSONResponse({"detail": NOT_SIGNED_IN, "pending": pending}, status_code=401)


async def api_me(ctx: Ctx) -> Response:
    """`probe_selectors` shape: the signed-in user's groups (each role with the ones below)."""
    user = ctx.user
    if user is None:
        return JSONResponse({"detail": NOT_SIGNED_IN}, status_code=401)
    return JSONResponse({"email": user.email,
                         "groups": [{"name": role} for role in roles_for(ctx.role)]})


def role_check(ctx: Ctx, min_role: str) -> JSONResponse | None:
    if ctx.user is None:
        return error(401, "unauthenticated")
    if ctx.has("ui_hides_api_allows"):
        return None  # "the UI already hides these links"
    if role_rank(ctx.role) < role_rank(min_role):
        return error(403, "forbidden")
    return None


def area_api(min_role: str) -> Handler:
    async def handler(ctx: Ctx) -> Response:
        if (denied := role_check(ctx, min_role)) is not None:
            return denied
        assert ctx.user is not None
        return JSONResponse({"area": min_role, "email": ctx.user.email})

    return handler


async def admin_users(ctx: Ctx) -> Response:
    if ctx.request.method == "POST":
        return await admin_create_user(ctx)
    if not bearer_ok(ctx) and (denied := role_check(ctx, "admin")) is not None:
        return denied
    users = ctx.db.scalars(select(User).order_by(User.email)).all()
    return JSONResponse({"users": [
        {"email": u.email, "role": u.role, "active": u.active, "mfa": u.mfa_enabled}
        for u in users
    ]})


async def admin_create_user(ctx: Ctx) -> Response:
    if not bearer_ok(ctx):
        return error(401, "unauthorized")
    body = await json_body(ctx.request)
    if body is None:
        return error(400, "expected a JSON object")
    email, password = body.get("email"), body.get("password")
    role = body.get("role", "member")
    if not isinstance(email, str) or not valid_email(email.strip().lower()):
        return error(400, "invalid email")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return error(400, f"password must be at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        return error(400, f"role must be one of {', '.join(ROLES)}")
    if find_user(ctx.db, email) is not None:
        return error(409, "user exists")
    user = await create_user(ctx.sandbox, ctx.db, email, password, role=role,
                             active=bool(body.get("active", True)))
    result: dict[str, Any] = {"email": user.email, "role": user.role, "active": user.active,
                              "mfa": False}
    if body.get("mfa"):
        secret = new_totp_secret()
        result.update(mfa=True, totp_secret=secret,
                      recovery_codes=enable_mfa(ctx.db, user, secret, None))
    return JSONResponse(result, status_code=201)


async def admin_delete_user(ctx: Ctx) -> Response:
    if not bearer_ok(ctx):
        return error(401, "unauthorized")
    user = find_user(ctx.db, ctx.request.path_params["email"])
    if user is None:
        return error(404, "no such user")
    ctx.db.delete(user)
    return Response(status_code=204)


async def admin_set_role(ctx: Ctx) -> Response:
    if not bearer_ok(ctx):
        return error(401, "unauthorized")
    body = await json_body(ctx.request)
    role = body.get("role") if body else None
    if role not in ROLES:
        return error(400, f"role must be one of {', '.join(ROLES)}")
    user = find_user(ctx.db, ctx.request.path_params["email"])
    if user is None:
        return error(404, "no such user")
    user.role = role
    return JSONResponse({"email": user.email, "role": user.role})


def hook_ok(ctx: Ctx) -> bool:
    """The right token, from a hook network (elsewhere a hook is refused even with it)."""
    return (hook_allowed(ctx.sandbox.config, ctx.address)
            and same(ctx.request.headers.get("x-test-hook-token", ""), ctx.sandbox.config.hook_token))


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key, 0)
    return float(value) if isinstance(value, int | float) else 0.0


async def _backdate(ctx: Ctx, count_key: str, statement: Callable[[User, dict[str, Any]], Any],
                    ) -> Response:
    """Shared shape of the hooks: token check, find the user, run one UPDATE, count rows."""
    if not hook_ok(ctx):
        return error(401, "unauthorized")
    body = await json_body(ctx.request) or {}
    user = find_user(ctx.db, str(body.get("email", "")))
    if user is None:
        return JSONResponse({count_key: 0})
    result = ctx.db.execute(statement(user, body))
    return JSONResponse({count_key: result.rowcount})  # type: ignore[attr-defined]


async def hook_backdate_sessions(ctx: Ctx) -> Response:
    return await _backdate(ctx, "sessions", lambda user, body: update(ServerSession).where(
        ServerSession.user_id == user.id).values(
            last_seen=ServerSession.last_seen - _number(body, "idle_seconds"),
            created_at=ServerSession.created_at - _number(body, "age_seconds"),
    ))


async def hook_backdate_tokens(ctx: Ctx) -> Response:
    """Mailed tokens of a kind (activation, reset), or every texted code (kind sms_code)."""
    def statement(user: User, body: dict[str, Any]) -> Any:
        seconds = _number(body, "seconds")
        if body.get("kind") == "sms_code":
            return update(SmsCode).where(SmsCode.user_id == user.id).values(
                created_at=SmsCode.created_at - seconds)
        return update(Token).where(Token.user_id == user.id, Token.kind == body.get("kind")).values(
            created_at=Token.created_at - seconds)

    return await _backdate(ctx, "tokens", statement)


async def hook_rotate_keys(ctx: Ctx) -> Response:
    """A new signing key for sessions and mailed tokens; the older keys stay accepted for
    `grace_seconds` (0: at once retired)."""
    if not hook_ok(ctx):
        return error(401, "unauthorized")
    body = await json_body(ctx.request) or {}
    ctx.sandbox.keys.rotate(_number(body, "grace_seconds"))
    return JSONResponse({"rotations": ctx.sandbox.keys.rotations})


async def hook_retire_keys(ctx: Ctx) -> Response:
    """End the grace window of every retired key now."""
    if not hook_ok(ctx):
        return error(401, "unauthorized")
    ctx.sandbox.keys.retire()
    return JSONResponse({"accepted_keys": len(ctx.sandbox.keys.accepted())})


def api_routes(sandbox: Sandbox) -> list[Route]:
    def route(path: str, handler: Handler, methods: list[str]) -> Route:
        return Route(path, endpoint(sandbox, handler), methods=methods)

    routes = [
        route("/api/session", api_session, ["GET"]),
        route("/api/member", area_api("member"), ["GET"]),
        route("/api/editor", area_api("editor"), ["GET"]),
        route("/api/admin/users", admin_users, ["GET", "POST"]),
        route("/api/admin/users/{email}", admin_delete_user, ["DELETE"]),
        route("/api/admin/users/{email}/role", admin_set_role, ["PUT"]),
    ]
    if sandbox.shape("probe_selectors"):
        routes.append(route("/api/me", api_me, ["GET"]))
    if sandbox.config.test_mode:
        routes += [
            route("/__test__/sessions/backdate", hook_backdate_sessions, ["POST"]),
            route("/__test__/tokens/backdate", hook_backdate_tokens, ["POST"]),
            route("/__test__/keys/rotate", hook_rotate_keys, ["POST"]),
            route("/__test__/keys/retire", hook_retire_keys, ["POST"]),
        ]
    return routes
