"""Passkeys: the sandbox as a WebAuthn relying party, through py_webauthn (Duo Labs).

Why here and why so: a passkey flow is pure browser (no mail, no code to type), so it is exactly
where a page and its backend can disagree unseen; the checks need a relying party that does it
right and can be made to do it wrong in the ways real ones do (the `passkey_*` defects).

- Register from /account/passkeys after a recent password re-entry (always, not only with the
  `reauth` shape: without that shape the prompt is served at PROMPT_PATH).
- Sign in passwordless with a discoverable credential (/login/passkey), or use a passkey as the
  second factor after the password (/login/mfa/passkey): a user with a passkey has MFA on.
- Every ceremony's challenge is stored server-side with the session it was issued to, for
  CHALLENGE_TTL seconds, and used once; sign counts must grow (a clone's falls behind).
- RP ID: `passkey_rp_id` ("localhost": WebAuthn refuses an IP address); the expected origin is
  the request's own when its host is the RP ID, else `passkey_origin` or http://RP_ID:PORT.

The browser side is templates/passkeys.js (the CSP forbids inline script); its JSON posts carry
the session's CSRF token in the X-CSRF-Token header.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, select
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from authprobe.errors import PasskeyRefused
from authprobe.sandbox.context import (
    Ctx,
    Sandbox,
    endpoint,
    ensure_session,
    forbidden,
    form,
    redirect,
    render,
    require,
    safe_next,
    start_session,
)
from authprobe.sandbox.db import Passkey, PasskeyChallenge, SessionSignIn, User
from authprobe.sandbox.network import admin_allowed
from authprobe.sandbox.reauth import REAUTH_PATH, confirmed, reauth_page
from authprobe.sandbox.security import same

SCREEN = "/account/passkeys"
PROMPT_PATH = "/account/passkeys/reauth"  # the password prompt when the `reauth` shape is off
CHALLENGE_TTL = 300.0
RP_NAME = "authprobe sandbox"
JS_FILE = Path(__file__).parent / "templates" / "passkeys.js"
ADDED = "Passkey added."
REMOVED = "Passkey removed."
NOT_ADDED = "This passkey could not be added."
NOT_SIGNED_IN = "This passkey could not sign you in."
NO_PASSKEYS = "You have no passkeys."
_NAME = re.compile(r"^Passkey (\d+)$")


# --- what other modules ask -------------------------------------------------------------------


def active_passkeys(ctx: Ctx, user: User) -> list[Passkey]:
    """The user's passkeys as the list shows them (a removed one kept by the defect is hidden)."""
    return list(ctx.db.scalars(select(Passkey).where(
        Passkey.user_id == user.id, Passkey.removed.is_(False)).order_by(Passkey.id)))


def has_passkey(ctx: Ctx, user: User) -> bool:
    """A user with a passkey has MFA on: the password alone does not sign them in."""
    return bool(active_passkeys(ctx, user))


def forget_passkeys(ctx: Ctx, user: User) -> None:
    """Every passkey of the user gone (the `reset_skips_mfa` defect: a reset drops all factors)."""
    ctx.db.execute(delete(Passkey).where(Passkey.user_id == user.id))


def record_sign_in(ctx: Ctx, signed_in_with: str, second_factor: str | None) -> None:
    """Note on this request's (new) session how it signed in, for the session endpoint."""
    if ctx.row is not None and ctx.row.user_id is not None:
        ctx.db.merge(SessionSignIn(session_hash=ctx.row.id_hash, signed_in_with=signed_in_with,
                                   second_factor=second_factor))


def second_factor(ctx: Ctx) -> str | None:
    """"passkey", "totp", "sms", "recovery_code" or None: what this session passed after its password."""
    row = ctx.row
    record = ctx.db.get(SessionSignIn, row.id_hash) if row is not None else None
    return record.second_factor if record is not None else None


def passkey_signed_in(ctx: Ctx) -> bool:
    """Whether this session signed in passwordless with a passkey."""
    row = ctx.row
    record = ctx.db.get(SessionSignIn, row.id_hash) if row is not None else None
    return record is not None and record.signed_in_with == "passkey"


# --- relying party ----------------------------------------------------------------------------


def _rp_id(ctx: Ctx) -> str:
    return ctx.sandbox.config.passkey_rp_id


def _origin(ctx: Ctx) -> str:
    """The origin the browser's client data must name."""
    config, url = ctx.sandbox.config, ctx.request.url
    if config.passkey_origin:
        return config.passkey_origin
    host = url.hostname or ""
    if host == config.passkey_rp_id or host.endswith("." + config.passkey_rp_id):
        return f"{url.scheme}://{ctx.request.headers.get('host', host)}"
    return f"{url.scheme}://{config.passkey_rp_id}" + (f":{url.port}" if url.port else "")


def _user_handle(user_id: int) -> bytes:
    return f"authprobe-user-{user_id}".encode()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [AuthenticatorTransport(t) for t in passkey.transports.split(",")
                  if t in {item.value for item in AuthenticatorTransport}]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id),
                                         transports=transports or None)


def _issue(ctx: Ctx, purpose: str, user_id: int | None, challenge: bytes) -> None:
    """Keep the challenge for this session, and drop the ones whose time is over."""
    assert ctx.row is not None
    now = time.time()
    ctx.db.execute(delete(PasskeyChallenge).where(PasskeyChallenge.created_at < now - CHALLENGE_TTL))
    ctx.db.add(PasskeyChallenge(challenge=bytes_to_base64url(challenge), session_hash=ctx.row.id_hash,
                                purpose=purpose, user_id=user_id, created_at=now))
    ctx.db.commit()


def _take_challenge(ctx: Ctx, body: dict[str, Any], purpose: str) -> PasskeyChallenge:
    """The challenge the browser's answer names, used up now: it must be one this very session
    was given for this ceremony, unused and recent."""
    try:
        client_data = parse_client_data_json(base64url_to_bytes(body["response"]["clientDataJSON"]))
    except (KeyError, TypeError, ValueError, WebAuthnException) as exc:
        raise PasskeyRefused("the answer carries no readable client data") from exc
    row = ctx.db.get(PasskeyChallenge, bytes_to_base64url(client_data.challenge))
    if row is None or row.purpose != purpose or time.time() - row.created_at > CHALLENGE_TTL:
        raise PasskeyRefused("the answer is to no challenge this server gave, or it took too long")
    if not ctx.has("passkey_challenge_reused"):  # the defect: a cache of issued challenges, never emptied
        if row.used:
            raise PasskeyRefused("that challenge was already used")
        if ctx.row is None or row.session_hash != ctx.row.id_hash:
            raise PasskeyRefused("that challenge was given to another browser session")
    row.used = True
    return row


def _json_error(reason: str, status_code: int = 400) -> JSONResponse:
    return JSONResponse({"error": f"{reason[:1].upper()}{reason[1:]}."}, status_code=status_code)


async def _json_body(ctx: Ctx) -> dict[str, Any] | None:
    """The posted JSON object when the X-CSRF-Token header matches this session, else None."""
    token = ctx.request.headers.get("x-csrf-token", "")
    if ctx.row is None or not same(token, ctx.row.csrf_token):
        return None
    try:
        body = json.loads(await ctx.request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _verify_assertion(ctx: Ctx, body: dict[str, Any], challenge: PasskeyChallenge,
                      passkey: Passkey) -> None:
    """Signature, origin, RP ID and challenge; the sign count must grow (unless both are zero)."""
    current = 0 if ctx.has("passkey_sign_count_ignored") else passkey.sign_count
    try:
        verified = verify_authentication_response(
            credential=body, expected_challenge=base64url_to_bytes(challenge.challenge),
            expected_rp_id=_rp_id(ctx), expected_origin=_origin(ctx),
            credential_public_key=passkey.public_key, credential_current_sign_count=current)
    except WebAuthnException as exc:
        if "sign count" in str(exc):
            raise PasskeyRefused("the sign count did not grow: a cloned authenticator") from exc
        raise PasskeyRefused(f"the assertion does not verify ({exc})") from exc
    passkey.sign_count = verified.new_sign_count


def _stored(ctx: Ctx, body: dict[str, Any]) -> Passkey:
    """The registered passkey the assertion names (a removed one only with the defect)."""
    credential_id = body.get("id")
    passkey = ctx.db.scalar(select(Passkey).where(Passkey.credential_id == credential_id)) \
        if isinstance(credential_id, str) else None
    if passkey is None or (passkey.removed and not ctx.has("passkey_kept_after_removal")):
        raise PasskeyRefused("this passkey is not registered here")
    return passkey


# --- the passkeys screen ------------------------------------------------------------------------


def _reauth_url(ctx: Ctx) -> str | None:
    """Where to confirm the password before adding a passkey, or None when recently done."""
    if ctx.has("passkey_no_reauth") or confirmed(ctx, SCREEN):
        return None
    prompt = REAUTH_PATH if ctx.shape("reauth") else PROMPT_PATH
    return f"{prompt}?next={quote(SCREEN, safe='/')}"


async def passkeys_page(ctx: Ctx) -> Response:
    if (denied := await require(ctx)) is not None:
        return denied
    user = ctx.user
    assert user is not None
    query = ctx.request.query_params
    status = ADDED if query.get("added") else REMOVED if query.get("removed") else None
    return await render(ctx, "passkeys.html", "passkeys", "Passkeys", status=status,
                        passkeys=active_passkeys(ctx, user), no_passkeys=NO_PASSKEYS,
                        failure=NOT_ADDED)


async def passkeys_prompt(ctx: Ctx) -> Response:
    """The password prompt of this screen when the `reauth` shape (which has its own) is off."""
    return await reauth_page(ctx)


async def registration_options(ctx: Ctx) -> Response:
    user = ctx.user
    if user is None:
        return _json_error("sign in first", 401)
    if await _json_body(ctx) is None:
        return _json_error("the form is out of date: reload the page", 403)
    if (prompt := _reauth_url(ctx)) is not None:
        return JSONResponse({"reauth": prompt}, status_code=403)
    options = generate_registration_options(
        rp_id=_rp_id(ctx), rp_name=RP_NAME, user_name=user.email, user_id=_user_handle(user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[_descriptor(p) for p in active_passkeys(ctx, user)])
    _issue(ctx, "register", user.id, options.challenge)
    return Response(options_to_json(options), media_type="application/json")


def _next_name(ctx: Ctx, user: User) -> str:
    taken = [int(m.group(1)) for p in active_passkeys(ctx, user) if (m := _NAME.match(p.name))]
    return f"Passkey {max(taken, default=0) + 1}"


async def register(ctx: Ctx) -> Response:
    user = ctx.user
    if user is None:
        return _json_error("sign in first", 401)
    body = await _json_body(ctx)
    if body is None:
        return _json_error("the form is out of date: reload the page", 403)
    if (prompt := _reauth_url(ctx)) is not None:
        return JSONResponse({"reauth": prompt}, status_code=403)
    try:
        challenge = _take_challenge(ctx, body, "register")
        if challenge.user_id != user.id:
            raise PasskeyRefused("that challenge was given to another user")
        try:
            verified = verify_registration_response(
                credential=body, expected_challenge=base64url_to_bytes(challenge.challenge),
                expected_rp_id=_rp_id(ctx), expected_origin=_origin(ctx))
        except WebAuthnException as exc:
            raise PasskeyRefused(f"the new passkey does not verify ({exc})") from exc
        credential_id = bytes_to_base64url(verified.credential_id)
        if ctx.db.scalar(select(Passkey).where(Passkey.credential_id == credential_id)) is not None:
            raise PasskeyRefused("this passkey is already registered")
    except PasskeyRefused as exc:
        ctx.db.commit()  # a challenge taken stays used
        return _json_error(str(exc))
    response = body.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    ctx.db.add(Passkey(
        user_id=user.id, credential_id=credential_id, public_key=verified.credential_public_key,
        sign_count=verified.sign_count, name=_next_name(ctx, user), created_at=time.time(),
        transports=",".join(t for t in transports if isinstance(t, str)) if isinstance(transports, list)
        else ""))
    return JSONResponse({"next": f"{SCREEN}?added=1"})


async def remove(ctx: Ctx) -> Response:
    if (denied := await require(ctx)) is not None:
        return denied
    user = ctx.user
    assert user is not None
    if await form(ctx) is None:
        return await forbidden(ctx)
    passkey = ctx.db.get(Passkey, int(ctx.request.path_params["passkey_id"]))
    if passkey is None or passkey.user_id != user.id or passkey.removed:
        return redirect(SCREEN)
    if ctx.has("passkey_kept_after_removal"):
        passkey.removed = True  # "soft delete": hidden from the list, still a credential
    else:
        ctx.db.delete(passkey)
    return redirect(f"{SCREEN}?removed=1")


# --- passwordless sign-in -----------------------------------------------------------------------


def _request_options(ctx: Ctx, purpose: str, user: User | None) -> Response:
    allow = [_descriptor(p) for p in active_passkeys(ctx, user)] if user is not None else []
    options = generate_authentication_options(
        rp_id=_rp_id(ctx), allow_credentials=allow,
        user_verification=UserVerificationRequirement.PREFERRED)
    _issue(ctx, purpose, user.id if user is not None else None, options.challenge)
    return Response(options_to_json(options), media_type="application/json")


async def signin_options(ctx: Ctx) -> Response:
    ensure_session(ctx)
    if await _json_body(ctx) is None:
        return _json_error("the form is out of date: reload the page", 403)
    return _request_options(ctx, "signin", None)


def _may_sign_in(ctx: Ctx, user: User) -> None:
    if not user.active and not ctx.has("activation_not_required"):
        raise PasskeyRefused("this account is not activated yet")
    if user.role == "admin" and not admin_allowed(ctx.sandbox.config, ctx.address):
        raise PasskeyRefused("administrators can only sign in from the office network")


async def signin(ctx: Ctx) -> Response:
    body = await _json_body(ctx)
    if body is None:
        return _json_error("the form is out of date: reload the page", 403)
    try:
        challenge = _take_challenge(ctx, body, "signin")
        passkey = _stored(ctx, body)
        handle = (body.get("response") or {}).get("userHandle")
        if handle and handle != bytes_to_base64url(_user_handle(passkey.user_id)):
            raise PasskeyRefused("the passkey's user handle names another user")
        _verify_assertion(ctx, body, challenge, passkey)
        user = ctx.db.get(User, passkey.user_id)
        assert user is not None
        _may_sign_in(ctx, user)
    except PasskeyRefused as exc:
        ctx.db.commit()
        return _json_error(str(exc))
    start_session(ctx, user, mfa_pending=False, next_path=None)
    record_sign_in(ctx, "passkey", None)
    return JSONResponse({"next": safe_next(ctx.request.query_params.get("next")) or "/account"})


# --- second factor ------------------------------------------------------------------------------


def _pending_user(ctx: Ctx) -> User | None:
    row = ctx.row
    if row is None or not row.mfa_pending or row.user is None:
        return None
    return row.user


async def mfa_options(ctx: Ctx) -> Response:
    user = _pending_user(ctx)
    if user is None or not has_passkey(ctx, user):
        return _json_error("sign in with your password first", 401)
    if await _json_body(ctx) is None:
        return _json_error("the form is out of date: reload the page", 403)
    return _request_options(ctx, "mfa", user)


async def mfa_verify(ctx: Ctx) -> Response:
    user = _pending_user(ctx)
    if user is None:
        return _json_error("sign in with your password first", 401)
    body = await _json_body(ctx)
    if body is None:
        return _json_error("the form is out of date: reload the page", 403)
    try:
        challenge = _take_challenge(ctx, body, "mfa")
        if challenge.user_id != user.id:
            raise PasskeyRefused("that challenge was given to another user")
        passkey = _stored(ctx, body)
        if passkey.user_id != user.id and not ctx.has("passkey_other_users_credential"):
            raise PasskeyRefused("this passkey belongs to another account")
        _verify_assertion(ctx, body, challenge, passkey)
    except PasskeyRefused as exc:
        ctx.db.commit()
        return _json_error(str(exc))
    assert ctx.row is not None
    next_path = ctx.row.next_path
    user.last_mfa_at = time.time()
    start_session(ctx, user, mfa_pending=False, next_path=None)
    record_sign_in(ctx, "password", "passkey")
    return JSONResponse({"next": next_path or "/account"})


async def passkeys_js(ctx: Ctx) -> Response:
    return Response(JS_FILE.read_text(encoding="utf-8"), media_type="text/javascript")


def passkey_routes(sandbox: Sandbox) -> list[Route]:
    def route(path: str, handler: object, methods: list[str]) -> Route:
        return Route(path, endpoint(sandbox, handler), methods=methods)  # type: ignore[arg-type]

    routes = [
        route("/static/passkeys.js", passkeys_js, ["GET"]),
        route(SCREEN, passkeys_page, ["GET"]),
        route(f"{SCREEN}/options", registration_options, ["POST"]),
        route(SCREEN, register, ["POST"]),
        route(SCREEN + "/{passkey_id:int}/remove", remove, ["POST"]),
        route("/login/passkey/options", signin_options, ["POST"]),
        route("/login/passkey", signin, ["POST"]),
        route("/login/mfa/passkey/options", mfa_options, ["POST"]),
        route("/login/mfa/passkey", mfa_verify, ["POST"]),
    ]
    if not sandbox.shape("reauth"):
        routes.append(route(PROMPT_PATH, passkeys_prompt, ["GET", "POST"]))
    return routes
