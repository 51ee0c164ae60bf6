"""HTML pages: sign-up, activation, sign-in with MFA, account (with password change and
self-service deletion), MFA setup, reset, role areas and the admin screen; plus the screens
only some shapes have (src/authprobe/sandbox/shapes.py): activation confirm, refused sign-in, recovery
codes, and the password prompt of src/authprobe/sandbox/reauth.py."""

from __future__ import annotations

import time

import segno
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from authprobe.sandbox.accounts import (
    MIN_PASSWORD,
    create_user,
    disable_mfa,
    enable_mfa,
    find_token,
    find_user,
    issue_token,
    known_token,
    normalize_email,
    record_deactivation,
    replace_recovery_codes,
    send_link_mail,
    send_reset_notice_mail,
    stored_password,
    valid_email,
    was_deactivated,
)
from authprobe.sandbox.context import (
    Ctx,
    Sandbox,
    end_other_sessions,
    end_user_sessions,
    endpoint,
    field_str,
    forbidden,
    form,
    redirect,
    render,
    render_without_session,
    require,
    rotate_session,
    safe_next,
    start_session,
)
from authprobe.sandbox.db import ROLES, RecoveryCode, Token, User
from authprobe.sandbox.network import admin_allowed
from authprobe.sandbox.passkeys import forget_passkeys, has_passkey, record_sign_in
from authprobe.sandbox.reauth import REAUTH_PATH, reauth_gate, reauth_page
from authprobe.sandbox.security import digest, match_totp, new_totp_secret, normalize_recovery_code, totp_uri
from authprobe.sandbox.sms import (
    BAD_NUMBER,
    NO_SMS,
    account_mfa_sms,
    activate_by_sms,
    clean_number,
    masked,
    resend_sign_in_code,
    send_sign_in_code,
    sms_second_factor,
    start_sms_activation,
    take_code,
)
from authprobe.sandbox.sms import SETUP_PATH as SMS_SETUP_PATH
from authprobe.sandbox.sso import sso_routes, sso_sign_out

SHORT_PASSWORD = f"Password must be at least {MIN_PASSWORD} characters."
INVALID_LOGIN = "Invalid email or password."
TOO_MANY_ATTEMPTS = "Too many failed sign-ins from your network. Try again in a minute."
TOO_MANY_REQUESTS = "Too many sign-in attempts from your address. Try again in a minute."
TOO_MANY_SIGNUPS = "Too many new accounts from your network. Try again later."
ACCOUNT_LOCKED = "Too many attempts: this account is locked for a few minutes."
ADMIN_NETWORK_ONLY = "Administrators can only sign in from the office network."
NOT_ACTIVATED = "Your account is not activated yet. Check your email for the activation link."
INVALID_CODE = "Invalid authentication code."
CODES_LOCKED = "Too many wrong codes: sign-in is locked for a few minutes."
INVALID_RECOVERY = "Invalid recovery code."
RESET_SENT = "If an account exists for that email, we have sent a password reset link."
RESET_INVALID = "This password reset link is invalid or has expired."
ACTIVATION_INVALID = "This activation link is invalid or has expired."
WRONG_CURRENT_PASSWORD = "Current password is wrong."
PASSWORDS_DIFFER = "The new passwords do not match."
PASSWORD_CHANGED = "Your password has been changed."
ACCOUNT_DEACTIVATED = ("This account has been deactivated. Contact an administrator if you "
                       "think this is a mistake.")
RECOVERY_SCREEN = "/account/recovery-codes"


async def home(ctx: Ctx) -> Response:
    return redirect("/account")


# --- sign-up and activation -------------------------------------------------------------


async def signup(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return await render(ctx, "signup.html", "signup", "Create an account", email="")
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    email, password = normalize_email(field_str(data, "email")), field_str(data, "password")
    if not valid_email(email):
        return await render(ctx, "signup.html", "signup", "Create an account", 400,
                            email=email, alert="Enter a valid email address.")
    if len(password) < MIN_PASSWORD:
        return await render(ctx, "signup.html", "signup", "Create an account", 400,
                            email=email, alert=SHORT_PASSWORD)
    # counted for taken addresses too: the limit's answer must not tell which are taken
    if not (ctx.sandbox.signin_limit.signup_allowed(ctx.address) or ctx.has("signup_unlimited")):
        return await render(ctx, "signup.html", "signup", "Create an account", 429,
                            email=email, alert=TOO_MANY_SIGNUPS)
    if field_str(data, "phone").strip():  # activation by a texted code instead of a mail link
        number = clean_number(field_str(data, "phone"))
        alert = NO_SMS if not ctx.sandbox.texter.available else None if number else BAD_NUMBER
        if alert or number is None:
            return await render(ctx, "signup.html", "signup", "Create an account", 400,
                                email=email, alert=alert)
        user = None
        if find_user(ctx.db, email) is None:
            user = await create_user(ctx.sandbox, ctx.db, email, password)
        return await start_sms_activation(ctx, user, email, number)
    if find_user(ctx.db, email) is None:
        if (alert := _further_fields_missing(ctx, data)) is not None:
            return await render(ctx, "signup.html", "signup", "Create an account", 400,
                                email=email, alert=alert)
        user = await create_user(ctx.sandbox, ctx.db, email, password)
        raw = issue_token(ctx.sandbox, ctx.db, user, "activation")
        link = f"{ctx.sandbox.config.base_url}/activate?token={raw}"
        await send_link_mail(ctx, email, "Activate your account", "Activate your account", link)
    # Same page whether or not the email was taken: sign-up must not enumerate accounts.
    return await render(ctx, "simple.html", "signup-done", "Check your email",
                        message="We have sent you a link to activate your account.")


def _further_fields_missing(ctx: Ctx, data: FormData) -> str | None:
    """`signup_extra_fields` shape: a user name (unique), first and last name are required."""
    if not ctx.shape("signup_extra_fields"):
        return None
    name = field_str(data, "user_name").strip()
    if not (name and field_str(data, "first_name").strip() and field_str(data, "last_name").strip()):
        return "Enter a user name, a first name and a last name."
    if name in ctx.sandbox.user_names:
        return "That user name is taken."
    ctx.sandbox.user_names.add(name)
    return None


async def _activation_failed(ctx: Ctx) -> Response:
    return await render(ctx, "simple.html", "activation", "Activation failed", 400,
                        alert=ACTIVATION_INVALID)


async def _activate_with(ctx: Ctx, token: Token) -> Response:
    if not ctx.has("activation_link_reusable"):
        token.used = True
    user = ctx.db.get(User, token.user_id)
    assert user is not None
    user.active = True
    return await render(ctx, "simple.html", "activation", "Account activated",
                        status="Your account is active. You can now sign in.")


async def activate(ctx: Ctx) -> Response:
    if ctx.shape("activation_confirm"):
        return await activate_with_confirm(ctx)
    token = find_token(ctx.sandbox, ctx.db, "activation", ctx.request.query_params.get("token"))
    if token is None:
        return await _activation_failed(ctx)
    return await _activate_with(ctx, token)


async def activate_with_confirm(ctx: Ctx) -> Response:
    """`activation_confirm` shape: the link's GET shows a Confirm button, only its POST (with
    the CSRF token) activates. With `activation_expired_message` the GET shows the button for
    any link ever issued, so a used or expired one fails only after Confirm."""
    if ctx.request.method == "GET":
        raw = ctx.request.query_params.get("token")
        if ctx.shape("activation_expired_message"):
            shown = known_token(ctx.sandbox, ctx.db, "activation", raw)
        else:
            shown = find_token(ctx.sandbox, ctx.db, "activation", raw)
        if shown is None:
            return await _activation_failed(ctx)
        return await render(ctx, "activation_confirm.html", "activation-confirm",
                            "Confirm your email address", token=raw)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    token = find_token(ctx.sandbox, ctx.db, "activation", field_str(data, "token"))
    if token is None:
        return await _activation_failed(ctx)
    return await _activate_with(ctx, token)


# --- sign-in, MFA challenge, sign-out ---------------------------------------------------


def _login_status(ctx: Ctx) -> str | None:
    query = ctx.request.query_params
    if query.get("signed_out"):
        return "You have been signed out."
    if query.get("expired"):
        return "Your session has expired. Please sign in again."
    return None


async def _login_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    values.setdefault("email", "")
    values.setdefault("next_path", safe_next(ctx.request.query_params.get("next")) or "")
    values.setdefault("sso_enabled", ctx.sandbox.config.idp_issuer is not None)
    return await render(ctx, "login.html", "login", "Sign in", status_code, **values)


async def login(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return await _login_page(ctx, status=_login_status(ctx))
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    email, password = normalize_email(field_str(data, "email")), field_str(data, "password")
    next_path = safe_next(field_str(data, "next") or ctx.request.query_params.get("next"))
    limit = ctx.sandbox.signin_limit
    if limit.over_rate(ctx.address):
        return await render(ctx, "simple.html", "too-many-requests", "Too many requests", 429,
                            message=TOO_MANY_REQUESTS)
    if limit.blocked(ctx.address):
        return await _login_page(ctx, 429, email=email, alert=TOO_MANY_ATTEMPTS)
    user = find_user(ctx.db, email)
    account = _lockout_key(ctx, email, user)
    if account is not None and limit.account_locked(account):
        return await _login_page(ctx, 403, email=email, alert=ACCOUNT_LOCKED)
    # Unknown emails still pay for a hash check, so timing does not enumerate accounts.
    ok = await ctx.sandbox.check_password(user.password_hash if user else
                                          ctx.sandbox.dummy_hash, password)
    if user is None or not ok:
        limit.failed(ctx.address, account)
        return await _login_page(ctx, 400, email=email, alert=INVALID_LOGIN)
    if user.role == "admin" and not admin_allowed(ctx.sandbox.config, ctx.address):
        return await _login_page(ctx, 403, email=email, alert=ADMIN_NETWORK_ONLY)
    if not user.active and not ctx.has("activation_not_required"):
        if ctx.shape("signin_refused_screen"):  # after the right password only, as the alert
            return redirect("/account-locked" if was_deactivated(ctx.db, user) else "/verify-email")
        return await _login_page(ctx, 400, email=email, alert=NOT_ACTIVATED)
    if account is not None and not ctx.has("lockout_success_keeps_count"):
        limit.succeeded(account)
    trusted = (
        ctx.has("reauth_skips_mfa") and user.last_mfa_at is not None
        and time.time() - user.last_mfa_at < ctx.sandbox.config.absolute_ttl
    )
    if (user.mfa_enabled or has_passkey(ctx, user)) and not trusted:
        start_session(ctx, user, mfa_pending=True, next_path=next_path)
        if (number := sms_second_factor(ctx, user)) is not None:
            await send_sign_in_code(ctx, user, number)
        return redirect("/login/mfa")
    start_session(ctx, user, mfa_pending=False, next_path=None)
    return redirect(next_path or "/account")


def _lockout_key(ctx: Ctx, email: str, user: User | None) -> str | None:
    """What wrong passwords are counted against: the address typed, known or not."""
    if ctx.has("lockout_message_enumerates") and user is None:
        return None  # unknown addresses never lock, so the lockout answer names real accounts
    if ctx.has("lockout_per_session"):
        return f"session:{ctx.row.id_hash}" if ctx.row is not None else None
    return email


def _count_wrong_code(ctx: Ctx, user: User) -> None:
    if not ctx.has("totp_guesses_unlimited"):
        ctx.sandbox.signin_limit.code_failed(user.email)


def _codes_locked(ctx: Ctx, user: User) -> bool:
    return not ctx.has("totp_guesses_unlimited") and ctx.sandbox.signin_limit.codes_locked(user.email)


async def verify_email(ctx: Ctx) -> Response:
    """`signin_refused_screen` shape: where a not yet activated account's sign-in lands."""
    return await render(ctx, "simple.html", "verify-email", "Verify your email address",
                        message=NOT_ACTIVATED)


async def account_locked(ctx: Ctx) -> Response:
    """`signin_refused_screen` shape: where a deactivated account's sign-in lands."""
    return await render(ctx, "simple.html", "account-locked", "Account unavailable",
                        message=ACCOUNT_DEACTIVATED)


def _pending_user(ctx: Ctx) -> User | None:
    row = ctx.row
    if row is None or not row.mfa_pending or row.user is None:
        return None
    return row.user


async def _finish_mfa(ctx: Ctx, user: User, factor: str) -> Response:
    assert ctx.row is not None
    next_path = ctx.row.next_path
    user.last_mfa_at = time.time()
    start_session(ctx, user, mfa_pending=False, next_path=None)
    record_sign_in(ctx, "password", factor)
    return redirect(next_path or "/account")


async def _challenge_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    user = _pending_user(ctx)
    number = sms_second_factor(ctx, user) if user is not None else None
    return await render(ctx, "mfa_challenge.html", "mfa-challenge", "Two-factor authentication",
                        status_code, texted_to=masked(number) if number else None,
                        code_form=user is None or user.totp_secret is not None or number is not None,
                        passkey=user is not None and has_passkey(ctx, user), **values)


async def login_mfa(ctx: Ctx) -> Response:
    user = _pending_user(ctx)
    number = sms_second_factor(ctx, user) if user is not None else None
    if user is None or (user.totp_secret is None and number is None and not has_passkey(ctx, user)):
        return redirect("/login")
    if ctx.request.method == "GET":
        return await _challenge_page(ctx)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    if _codes_locked(ctx, user):  # checked first: a right code after the limit is refused too
        return await _challenge_page(ctx, 403, alert=CODES_LOCKED)
    if number is not None:
        if not take_code(ctx, user, "mfa", field_str(data, "code")):
            _count_wrong_code(ctx, user)
            return await _challenge_page(ctx, 400, alert=INVALID_CODE)
        return await _finish_mfa(ctx, user, "sms")
    if user.totp_secret is None:  # a passkey is this user's only second factor
        return await _challenge_page(ctx, 400, alert=INVALID_CODE)
    timecode = match_totp(user.totp_secret, field_str(data, "code"), user.totp_last_timecode,
                          replay_check=not ctx.has("totp_replay_accepted"))
    if timecode is None:
        _count_wrong_code(ctx, user)
        return await _challenge_page(ctx, 400, alert=INVALID_CODE)
    user.totp_last_timecode = max(timecode, user.totp_last_timecode or timecode)
    return await _finish_mfa(ctx, user, "totp")


async def login_mfa_resend(ctx: Ctx) -> Response:
    """"Send a new code" on the challenge of a user whose second factor is text codes."""
    user = _pending_user(ctx)
    number = sms_second_factor(ctx, user) if user is not None else None
    if user is None or number is None:
        return redirect("/login")
    if await form(ctx) is None:
        return await forbidden(ctx)
    status_code, message = await resend_sign_in_code(ctx, user, number)
    return await _challenge_page(ctx, status_code, **message)


async def login_recovery(ctx: Ctx) -> Response:
    user = _pending_user(ctx)
    if user is None:
        return redirect("/login")
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    code_hash = digest(normalize_recovery_code(field_str(data, "recovery_code")))
    code = ctx.db.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == code_hash,
        RecoveryCode.used.is_(False),
    ))
    if code is None:
        return await _challenge_page(ctx, 400, alert=INVALID_RECOVERY)
    if not ctx.has("recovery_code_reusable"):
        code.used = True
    return await _finish_mfa(ctx, user, "recovery_code")


async def logout(ctx: Ctx) -> Response:
    then = "/login?signed_out=1"
    if ctx.row is not None:
        if await form(ctx) is None:
            return await forbidden(ctx)
        sso = sso_sign_out(ctx)  # a session that signed in through the IdP signs out there too
        if not ctx.has("client_only_logout") and not sso.keep_session:
            ctx.db.delete(ctx.row)
        ctx.row, then = None, sso.then
    ctx.clear_cookie = True
    ctx.clear_display_cookie = True
    return redirect(then)


# --- account and MFA management ---------------------------------------------------------


async def _require_confirmed(ctx: Ctx, screen: str) -> Response | None:
    """`require` for a sensitive screen: signed in and, with the `reauth` shape, the password
    confirmed for it recently (src/authprobe/sandbox/reauth.py)."""
    if (denied := await require(ctx)) is not None:
        return denied
    return reauth_gate(ctx, screen)


async def _account_page(ctx: Ctx, status: str | None = None) -> Response:
    assert ctx.user is not None
    return await render(ctx, "account.html", "account", "Your account", status=status,
                        user_email=ctx.user.email, user_role=ctx.role)


async def account(ctx: Ctx) -> Response:
    if (denied := await require(ctx)) is not None:
        return denied
    off = ctx.request.query_params.get("mfa")
    return await _account_page(ctx, "Two-factor authentication is off." if off else None)


# The account page's widgets read the session endpoint once, together; the seeded defect
# session_read_per_widget has each widget ask for itself (a round trip per widget per page).
ACCOUNT_JS = """
const widgets = document.querySelectorAll("[data-widget]");
function show(widget, session) {
  const user = session.user || {};
  const value = {"signed-in-as": user.email, "roles": (user.roles || []).join(", "),
                 "second-factor": session.mfa_pending ? "yes" : "no"}[widget.dataset.widget];
  widget.querySelector("span").textContent = value || "";
}
function readSession() { return fetch("/api/session").then((answer) => answer.json()); }
%s
"""
ONE_READ = "readSession().then((session) => widgets.forEach((widget) => show(widget, session)));"
READ_PER_WIDGET = "widgets.forEach((widget) => readSession().then((session) => show(widget, session)));"


async def account_js(ctx: Ctx) -> Response:
    body = ACCOUNT_JS % (READ_PER_WIDGET if ctx.has("session_read_per_widget") else ONE_READ)
    return Response(body, media_type="text/javascript")


async def _password_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    return await render(ctx, "password_change.html", "password-change", "Change your password",
                        status_code, **values)


async def _password_change_error(ctx: Ctx, user: User, data: FormData) -> str | None:
    """The alert for a password change that must be refused, or None."""
    current, new = field_str(data, "current_password"), field_str(data, "new_password")
    right = ctx.has("password_change_skips_current_password") or \
        ctx.shape("password_change_no_current") or \
        await ctx.sandbox.check_password(user.password_hash, current)
    if not right:
        return WRONG_CURRENT_PASSWORD
    if len(new) < MIN_PASSWORD:
        return SHORT_PASSWORD
    if new != field_str(data, "new_password_confirm"):
        return PASSWORDS_DIFFER
    return None


async def account_password(ctx: Ctx) -> Response:
    """Password change: the current password, then the new hash; every other session of the
    user ends (ASVS 7.4.3) and this one stays signed in under a new id."""
    if (denied := await _require_confirmed(ctx, "/account/password")) is not None:
        return denied
    user = ctx.user
    assert user is not None
    if ctx.request.method == "GET":
        return await _password_page(ctx)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    if (alert := await _password_change_error(ctx, user, data)) is not None:
        return await _password_page(ctx, 400, alert=alert)
    new = stored_password(ctx.sandbox, field_str(data, "new_password"))
    user.password_hash = await ctx.sandbox.hash_password(new)
    if not ctx.has("password_change_keeps_other_sessions"):
        end_other_sessions(ctx, user)
    rotate_session(ctx)
    return await _account_page(ctx, PASSWORD_CHANGED)


async def _delete_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    return await render(ctx, "account_delete.html", "account-delete", "Delete your account",
                        status_code, **values)


async def account_delete(ctx: Ctx) -> Response:
    """Self-service deletion: the current password, then the account and all its sessions go."""
    if (denied := await _require_confirmed(ctx, "/account/delete")) is not None:
        return denied
    user = ctx.user
    assert user is not None
    if ctx.request.method == "GET":
        return await _delete_page(ctx)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    if not await ctx.sandbox.check_password(user.password_hash, field_str(data, "password")):
        return await _delete_page(ctx, 400, alert="Wrong password.")
    end_user_sessions(ctx, user)
    ctx.db.delete(user)
    ctx.clear_cookie = True
    ctx.clear_display_cookie = True
    return await render_without_session(ctx, "simple.html", "account-deleted", "Account deleted",
                                        status="Your account has been deleted.")


async def _setup_page(ctx: Ctx, user: User, status_code: int = 200, **values: object) -> Response:
    assert ctx.row is not None
    secret = ctx.row.pending_totp_secret
    if secret is None:
        secret = ctx.row.pending_totp_secret = new_totp_secret()
    uri = totp_uri(secret, user.email)
    qr = segno.make(uri, error="m")
    # totp_qr_only: the key is nowhere but in the code, so draw it as a phone camera (or a
    # decoder) reads it best: a PNG with big modules and the quiet zone around it.
    qr_data_uri = qr.png_data_uri(scale=6, border=4) if ctx.shape("totp_qr_only") else \
        qr.svg_data_uri(scale=4)
    return await render(ctx, "mfa_setup.html", "mfa-setup", "Set up two-factor authentication",
                        status_code, secret=secret, uri=uri, qr_data_uri=qr_data_uri, **values)


async def _manage_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    return await render(ctx, "mfa_manage.html", "mfa-manage", "Two-factor authentication",
                        status_code, status="Two-factor authentication is on.", **values)


async def account_mfa(ctx: Ctx) -> Response:
    if (denied := await require(ctx)) is not None:
        return denied
    user, row = ctx.user, ctx.row
    assert user is not None and row is not None
    if user.mfa_enabled:
        return await _manage_page(ctx)
    if (denied := reauth_gate(ctx, "/account/mfa")) is not None:
        return denied
    if ctx.request.method == "GET":
        return await _setup_page(ctx, user)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    secret = row.pending_totp_secret
    timecode = match_totp(secret, field_str(data, "code"), None) if secret else None
    if secret is None or timecode is None:
        return await _setup_page(ctx, user, 400, alert=INVALID_CODE)
    codes = enable_mfa(ctx.db, user, secret, timecode,
                       recovery_codes=not ctx.shape("recovery_separate_screen"))
    row.pending_totp_secret = None
    return await render(ctx, "mfa_enabled.html", "mfa-enabled",
                        "Two-factor authentication enabled", recovery_codes=codes)


async def account_recovery_codes(ctx: Ctx) -> Response:
    """`recovery_separate_screen` shape: GET shows the screen, POST makes new codes (the old
    ones stop working) and shows them once. Two-factor must be on."""
    if (denied := await require(ctx)) is not None:
        return denied
    user = ctx.user
    assert user is not None
    if not user.mfa_enabled:
        return redirect("/account/mfa")
    if (denied := reauth_gate(ctx, RECOVERY_SCREEN)) is not None:
        return denied
    codes: list[str] = []
    if ctx.request.method == "POST":
        if await form(ctx) is None:
            return await forbidden(ctx)
        codes = replace_recovery_codes(ctx.db, user)
    return await render(ctx, "recovery_codes.html", "recovery-codes", "Recovery codes",
                        recovery_codes=codes)


async def account_mfa_disable(ctx: Ctx) -> Response:
    if (denied := await require(ctx)) is not None:
        return denied
    user = ctx.user
    assert user is not None
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    if not user.mfa_enabled:
        return redirect("/account/mfa")
    if not await ctx.sandbox.check_password(user.password_hash, field_str(data, "password")):
        return await _manage_page(ctx, 400, alert="Incorrect password.")
    disable_mfa(user)
    return redirect("/account?mfa=off")


# --- password reset ---------------------------------------------------------------------


async def reset_request(ctx: Ctx) -> Response:
    title = "Reset your password"
    if ctx.request.method == "GET":
        return await render(ctx, "reset_request.html", "reset-request", title)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    user = find_user(ctx.db, field_str(data, "email"))
    if user is None:
        address = normalize_email(field_str(data, "email"))
        if ctx.shape("reset_notice_mail") and valid_email(address):
            await send_reset_notice_mail(ctx, address)
        if ctx.has("enumeration_in_reset"):
            return await render(ctx, "reset_request.html", "reset-request", title, 400,
                                alert="No account found for that email.")
    elif (ctx.sandbox.signin_limit.reset_mail_allowed(user.email)
          or ctx.has("reset_mail_unlimited")):  # past the limit: the same answer, no mail
        raw = issue_token(ctx.sandbox, ctx.db, user, "reset")
        link = f"{ctx.sandbox.config.base_url}/reset/confirm?token={raw}"
        await send_link_mail(ctx, user.email, "Reset your password", "Reset your password", link)
    return await render(ctx, "reset_request.html", "reset-request", title, status=RESET_SENT)


async def _reset_invalid(ctx: Ctx) -> Response:
    return await render(ctx, "simple.html", "reset-invalid", "Reset link invalid", 400,
                        alert=RESET_INVALID)


async def reset_confirm(ctx: Ctx) -> Response:
    title = "Choose a new password"
    if ctx.request.method == "GET":
        raw = ctx.request.query_params.get("token", "")
        if find_token(ctx.sandbox, ctx.db, "reset", raw) is None:
            return await _reset_invalid(ctx)
        return await render(ctx, "reset_form.html", "reset-form", title, token=raw)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    raw, password = field_str(data, "token"), field_str(data, "password")
    token = find_token(ctx.sandbox, ctx.db, "reset", raw)
    user = ctx.db.get(User, token.user_id) if token else None
    if token is None or user is None:
        return await _reset_invalid(ctx)
    if len(password) < MIN_PASSWORD:
        return await render(ctx, "reset_form.html", "reset-form", title, 400, token=raw,
                            alert=SHORT_PASSWORD)
    new_hash = await ctx.sandbox.hash_password(password)
    if ctx.has("reset_breaks_for_second_role") and user.role != "member":
        # Staff accounts "keep credentials in their own table": the write never reaches users.
        staff_credentials = {"user_id": user.id, "password_hash": new_hash}
        del staff_credentials
    else:
        user.password_hash = new_hash
    if not ctx.has("reset_link_reusable"):
        token.used = True
    if not ctx.has("reset_keeps_other_sessions"):
        end_user_sessions(ctx, user)
    if not ctx.has("lockout_survives_reset"):
        ctx.sandbox.signin_limit.clear(user.email)
    if ctx.has("reset_skips_mfa"):
        disable_mfa(user)  # "to help locked-out users"
        forget_passkeys(ctx, user)
    return await render(ctx, "simple.html", "reset-done", "Password changed",
                        message="You can now sign in with your new password.")


# --- role areas and admin screen --------------------------------------------------------


async def member_area(ctx: Ctx) -> Response:
    if (denied := await require(ctx, "member")) is not None:
        return denied
    return await render(ctx, "simple.html", "member", "Member area", message="For members.")


async def editor_area(ctx: Ctx) -> Response:
    if (denied := await require(ctx, "editor")) is not None:
        return denied
    return await render(ctx, "simple.html", "editor", "Editor area", message="For editors.")


async def _admin_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    users = ctx.db.scalars(select(User).order_by(User.email)).all()
    values.setdefault("new_email", "")
    values.setdefault("new_role", "member")
    values.setdefault("new_active", True)
    return await render(ctx, "admin.html", "admin", "Admin", status_code, users=users,
                        roles=ROLES, **values)


async def admin_area(ctx: Ctx) -> Response:
    if (denied := await require(ctx, "admin")) is not None:
        return denied
    return await _admin_page(ctx)


async def admin_set_role(ctx: Ctx) -> Response:
    if (denied := await require(ctx, "admin")) is not None:
        return denied
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    target, role = find_user(ctx.db, field_str(data, "email")), field_str(data, "role")
    if target is None or role not in ROLES:
        return await _admin_page(ctx, 400, alert="Unknown user or role.")
    target.role = role
    return await _admin_page(ctx, status="Role updated.")


def _create_error(email: str, password: str, role: str, exists: bool) -> tuple[int, str] | None:
    """Status and alert for a create-user form that cannot be done, or None."""
    if not valid_email(email):
        return 400, "Enter a valid email address."
    if len(password) < MIN_PASSWORD:
        return 400, SHORT_PASSWORD
    if role not in ROLES:
        return 400, "Unknown role."
    if exists:
        return 409, f"User {email} already exists."
    return None


async def admin_create_user(ctx: Ctx) -> Response:
    if (denied := await require(ctx, "admin")) is not None:
        return denied
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    email, password = normalize_email(field_str(data, "email")), field_str(data, "password")
    role, active = field_str(data, "role"), bool(field_str(data, "active"))
    problem = _create_error(email, password, role, find_user(ctx.db, email) is not None)
    if problem is not None:
        return await _admin_page(ctx, problem[0], alert=problem[1], new_email=email,
                                 new_role=role, new_active=active)
    await create_user(ctx.sandbox, ctx.db, email, password, role=role, active=active)
    return await _admin_page(ctx, status=f"User {email} created.")


async def _admin_remove(ctx: Ctx, delete: bool) -> Response:
    """Deactivate or delete a user from the admin screen; either ends all their sessions."""
    if (denied := await require(ctx, "admin")) is not None:
        return denied
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    target = find_user(ctx.db, field_str(data, "email"))
    if target is None:
        return await _admin_page(ctx, 404, alert="Unknown user.")
    own = ctx.user is not None and ctx.user.id == target.id
    end_user_sessions(ctx, target)
    if delete:
        ctx.db.delete(target)
    else:
        target.active = False
        record_deactivation(ctx.db, target)
    if own:  # the admin removed their own account: signed out, like logout
        ctx.clear_cookie = True
        ctx.clear_display_cookie = True
        return redirect("/login?signed_out=1")
    verb = "deleted" if delete else "deactivated"
    return await _admin_page(ctx, status=f"User {target.email} {verb}.")


async def admin_deactivate(ctx: Ctx) -> Response:
    return await _admin_remove(ctx, delete=False)


async def admin_delete(ctx: Ctx) -> Response:
    return await _admin_remove(ctx, delete=True)


def page_routes(sandbox: Sandbox) -> list[Route]:
    def route(path: str, handler: object, methods: list[str]) -> Route:
        return Route(path, endpoint(sandbox, handler), methods=methods)  # type: ignore[arg-type]

    get, both, post = ["GET"], ["GET", "POST"], ["POST"]
    routes = [
        route("/", home, get),
        route("/signup", signup, both),
        route("/activate", activate, both if sandbox.shape("activation_confirm") else get),
        route("/login", login, both),
        route("/login/mfa", login_mfa, both),
        route("/login/recovery", login_recovery, post),
        route("/login/mfa/resend", login_mfa_resend, post),
        route("/activate/sms", activate_by_sms, post),
        route(SMS_SETUP_PATH, account_mfa_sms, both),
        route("/logout", logout, post),
        route("/account", account, get),
        route("/static/account.js", account_js, get),
        route("/account/mfa", account_mfa, both),
        route("/account/mfa/disable", account_mfa_disable, post),
        route("/account/password", account_password, both),
        route("/account/delete", account_delete, both),
        route("/reset", reset_request, both),
        route("/reset/confirm", reset_confirm, both),
        route("/member", member_area, get),
        route("/editor", editor_area, get),
        route("/admin", admin_area, get),
        route("/admin/role", admin_set_role, post),
        route("/admin/users", admin_create_user, post),
        route("/admin/deactivate", admin_deactivate, post),
        route("/admin/delete", admin_delete, post),
        *sso_routes(sandbox),
    ]
    gone = (("/admin",) if sandbox.shape("no_admin_screen") else ()) + (
        ("/reset", "/account/mfa") if sandbox.shape("no_reset_no_mfa") else ())
    routes = [r for r in routes if not r.path.startswith(gone)]  # those shapes: 404, as in apps without
    if sandbox.shape("signin_refused_screen"):
        routes += [route("/verify-email", verify_email, get),
                   route("/account-locked", account_locked, get)]
    if sandbox.shape("reauth"):
        routes.append(route(REAUTH_PATH, reauth_page, both))
    if sandbox.shape("recovery_separate_screen"):
        routes.append(route(RECOVERY_SCREEN, account_recovery_codes, both))
    return routes
