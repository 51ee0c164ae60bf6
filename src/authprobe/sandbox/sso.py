"""Sign-in through an OpenID Connect provider ("Sign in with Authprobe ID"): the sandbox as a
relying party (docs/sandbox.md, "Sign in with Authprobe ID").

`/sso/start` keeps state, nonce and the PKCE verifier in the browser's own pre-auth session
and sends it to the IdP; `/sso/callback` checks them, exchanges the code, verifies the ID
token (sso_tokens.py) and signs in by the linking rules (sso_link.py) with a fresh session
id. Every request of an SSO session whose access token expired refreshes it first
(`keep_fresh`): a refused refresh ends the session, an IdP that is down does not. Sign-out
sends the browser on to the IdP's end_session_endpoint.

The OAuth protocol is Authlib's (sso_client.py) and the JOSE work joserfc's; what is
written here is the app's policy around them, with the seeded sso_* defects on their
realistic code paths.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from authprobe.errors import IdpDown, IdpRefused, LinkRefused, SignInFailed, TokenRefused
from authprobe.sandbox.context import Ctx, Sandbox, endpoint, ensure_session, redirect, render, start_session
from authprobe.sandbox.db import ServerSession, SessionSignIn, SsoPending, SsoSession
from authprobe.sandbox.network import admin_allowed
from authprobe.sandbox.sso_client import SIGNED_OUT_PATH, Provider, new_secret
from authprobe.sandbox.sso_link import linked_user
from authprobe.sandbox.sso_tokens import verify_id_token

PROVIDER_NAME = "Authprobe ID"
SIGNED_IN_WITH = "authprobe-id"
PENDING_TTL = 600.0  # seconds a started sign-in may take at the IdP
IDP_DOWN = "the identity provider did not answer; try again in a minute"



def sso_routes(sandbox: Sandbox) -> list[Route]:
    """The two routes, and the per-request refresh of SSO sessions; none without an IdP."""
    if sandbox.config.idp_issuer is None:
        return []
    client = SsoClient(sandbox, Provider(sandbox.config))
    sandbox.before_request.append(client.keep_fresh)
    return [Route("/sso/start", endpoint(sandbox, client.start), methods=["GET"]),
            Route("/sso/callback", endpoint(sandbox, client.callback), methods=["GET"])]


def signed_in_with(ctx: Ctx) -> str:
    """"authprobe-id" for a session that signed in through the IdP, "passkey" for one that
    signed in passwordless with a passkey, else "password"."""
    row = ctx.row
    passkey = ctx.db.get(SessionSignIn, row.id_hash) if row is not None else None
    if passkey is not None and passkey.signed_in_with == "passkey":
        return "passkey"
    if row is not None and ctx.db.get(SsoSession, row.id_hash) is not None:
        return SIGNED_IN_WITH
    return "password"


@dataclass(frozen=True)
class SignOut:
    keep_session: bool  # the server session stays (a defect)
    then: str  # where the browser goes next


def sso_sign_out(ctx: Ctx) -> SignOut:
    """What sign-out does beyond the app for this request's session: an SSO session goes on
    to the IdP's sign-out with its ID token as the hint."""
    row = ctx.row
    sso = ctx.db.get(SsoSession, row.id_hash) if row is not None else None
    if sso is None or ctx.sandbox.config.idp_issuer is None:
        return SignOut(False, SIGNED_OUT_PATH)
    keep = ctx.has("sso_logout_keeps_backend_session")  # "the IdP's sign-out ends it anyway"
    if ctx.has("sso_logout_skips_idp"):
        return SignOut(keep, SIGNED_OUT_PATH)
    then = Provider(ctx.sandbox.config).end_session_url(sso.id_token)
    return SignOut(keep, then or SIGNED_OUT_PATH)


class SsoClient:
    """The routes and the refresh hook of one app, sharing its Provider (discovery, JWKS cache)."""

    def __init__(self, sandbox: Sandbox, provider: Provider) -> None:
        self.sandbox = sandbox
        self.provider = provider
        self._refreshing = asyncio.Lock()  # one refresh at a time: refresh tokens rotate on use

    async def start(self, ctx: Ctx) -> Response:
        row = ensure_session(ctx)
        pending = SsoPending(session_hash=row.id_hash, state=new_secret(), nonce=new_secret(),
                             code_verifier=new_secret(), created_at=time.time())
        ctx.db.merge(pending)
        ctx.db.commit()
        try:
            url = await run_in_threadpool(self.provider.authorize_url, pending.state, pending.nonce,
                                          pending.code_verifier)
        except IdpDown:
            return await failed(ctx, IDP_DOWN)
        return redirect(url)

    async def callback(self, ctx: Ctx) -> Response:
        try:
            sso = await self._sign_in(ctx)
        except SignInFailed as exc:
            return await failed(ctx, str(exc))
        ctx.db.add(sso)
        return redirect("/account")

    async def _sign_in(self, ctx: Ctx) -> SsoSession:
        query = ctx.request.query_params
        pending = self._take_pending(ctx, query.get("state"))
        if query.get("error"):
            raise SignInFailed(f"the identity provider said {query['error']}")
        try:
            token = await run_in_threadpool(self.provider.exchange, query.get("code", ""),
                                            pending.code_verifier)
            claims = await run_in_threadpool(self._verify, token, pending.nonce)
        except IdpDown as exc:
            raise SignInFailed(IDP_DOWN) from exc
        except IdpRefused as exc:
            raise SignInFailed(f"the identity provider did not accept the sign-in code ({exc})") from exc
        except TokenRefused as exc:
            raise SignInFailed(str(exc)) from exc
        try:
            user = linked_user(ctx.db, self.provider.issuer, claims, defects=self.sandbox.config.defects)
        except LinkRefused as exc:
            ctx.db.rollback()
            raise SignInFailed(str(exc)) from exc
        if user.role == "admin" and not admin_allowed(self.sandbox.config, ctx.address):
            ctx.db.rollback()
            raise SignInFailed("administrators can only sign in from the office network")
        start_session(ctx, user, mfa_pending=False, next_path=None)
        assert ctx.row is not None
        return SsoSession(session_hash=ctx.row.id_hash, issuer=self.provider.issuer,
                          sub=str(claims["sub"]), refresh_token=token.get("refresh_token"),
                          access_expires_at=_expires_at(token), id_token=token["id_token"])

    def _take_pending(self, ctx: Ctx, state: str | None) -> SsoPending:
        """The sign-in this browser started, used up now: a callback URL works once."""
        row = ctx.row
        pending = ctx.db.get(SsoPending, row.id_hash) if row is not None else None
        if pending is None or time.time() - pending.created_at > PENDING_TTL:
            raise SignInFailed("this browser did not start that sign-in, or it took too long")
        if not ctx.has("sso_state_unchecked") and state != pending.state:
            raise SignInFailed("the answer does not belong to the sign-in this browser started")
        ctx.db.delete(pending)
        ctx.db.commit()
        return pending

    def _verify(self, token: dict[str, Any], nonce: str | None, sub: str | None = None) -> dict[str, Any]:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRefused("the identity provider sent no ID token")
        claims = verify_id_token(id_token, self.provider.jwks, issuer=self.provider.issuer,
                                 audience=self.sandbox.config.idp_client_id, nonce=nonce,
                                 defects=self.sandbox.config.defects)
        if sub is not None and str(claims["sub"]) != sub:
            raise TokenRefused("the refreshed ID token names someone else")
        return claims

    async def keep_fresh(self, ctx: Ctx) -> None:
        """Before a request of an SSO session whose access token expired: refresh it, or end
        the session when the IdP refuses (revoked, user disabled) or its new ID token is bad."""
        if ctx.row is None or ctx.row.user_id is None or ctx.has("sso_revocation_ignored"):
            return
        if (sso := ctx.db.get(SsoSession, ctx.row.id_hash)) is None or sso.access_expires_at > time.time():
            return
        ctx.db.commit()
        async with self._refreshing:
            ctx.db.expire_all()  # another request may have refreshed or ended it meanwhile
            sso = ctx.db.get(SsoSession, ctx.row.id_hash)
            if sso is None or sso.access_expires_at > time.time():
                if ctx.db.get(ServerSession, ctx.row.id_hash) is None:
                    _ended(ctx)
                return
            try:
                token = await run_in_threadpool(self.provider.refresh, sso.refresh_token or "")
                if token.get("id_token"):
                    await run_in_threadpool(self._verify, token, None, sso.sub)
            except IdpDown:
                return  # the IdP is down: the session stays until it answers again
            except (IdpRefused, TokenRefused):
                ctx.db.execute(delete(ServerSession).where(ServerSession.id_hash == ctx.row.id_hash))
                _ended(ctx)
                ctx.db.commit()
                return
            sso.refresh_token = token.get("refresh_token") or sso.refresh_token
            sso.access_expires_at = _expires_at(token)
            sso.id_token = token.get("id_token") or sso.id_token
            ctx.db.commit()


def _ended(ctx: Ctx) -> None:
    """This request's session is over: the visitor is anonymous and told it expired."""
    ctx.row = None
    ctx.expired = True
    ctx.clear_cookie = True


def _expires_at(token: dict[str, Any]) -> float:
    expires_in = token.get("expires_in")
    return time.time() + (float(expires_in) if isinstance(expires_in, int | float) else 0.0)


async def failed(ctx: Ctx, reason: str) -> Response:
    """The login screen, 400, saying why; nobody is signed in by this request."""
    return await render(ctx, "login.html", "login", "Sign in", 400, email="", next_path="",
                        sso_enabled=True, alert=f"Sign-in with {PROVIDER_NAME} failed: {reason}.")
