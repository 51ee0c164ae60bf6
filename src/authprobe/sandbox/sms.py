"""Text messages: activation by a texted code at sign-up, and text codes as a second factor.

Texts go out through src/authprobe/sandbox/texter.py. A code is six
digits, stored as a digest, single use, valid `sms_code_ttl` seconds; each user gets at most
`sms_codes_per_window` codes per purpose (activation, mfa_setup, mfa) in `sms_code_window`
seconds, so "send a new code" cannot be used to flood a phone or to try codes faster.
"""

from __future__ import annotations

import re
import secrets
import time

from sqlalchemy import func, select
from starlette.responses import Response

from authprobe.sandbox.accounts import find_user, normalize_email, replace_recovery_codes
from authprobe.sandbox.context import Ctx, field_str, forbidden, form, redirect, render, require
from authprobe.sandbox.db import PhoneNumber, SmsCode, User
from authprobe.sandbox.reauth import reauth_gate
from authprobe.sandbox.security import digest, same

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
BAD_NUMBER = "Enter your mobile number in international format, for example +15551234567."
BAD_CODE = "This code is invalid or has expired."
TOO_MANY_CODES = "Too many codes sent. Wait a few minutes before asking for another one."
NO_SMS = "Text messages are not available on this server."
SETUP_PATH = "/account/mfa/sms"


def clean_number(raw: str) -> str | None:
    """An E.164 number from what was typed (spaces, dashes and brackets dropped), or None."""
    number = re.sub(r"[\s\-().]", "", raw)
    return number if E164.match(number) else None


def masked(number: str) -> str:
    return "•••• " + number[-4:]


def _code_digest(user: User, code: str) -> str:
    return digest(f"{user.id}:{code.strip()}")


def _codes_sent(ctx: Ctx, user: User, purpose: str) -> int:
    since = time.time() - ctx.sandbox.config.sms_code_window
    return ctx.db.scalar(select(func.count()).select_from(SmsCode).where(
        SmsCode.user_id == user.id, SmsCode.purpose == purpose, SmsCode.created_at > since)) or 0


async def send_code(ctx: Ctx, user: User, number: str, purpose: str, text: str) -> bool:
    """Text a new code (`text` with {code} in it) unless the user had too many lately."""
    limit = ctx.sandbox.config.sms_codes_per_window
    if not ctx.has("sms_resend_unlimited") and _codes_sent(ctx, user, purpose) >= limit:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    ctx.db.add(SmsCode(user_id=user.id, purpose=purpose, code_hash=_code_digest(user, code),
                       created_at=time.time()))
    ctx.db.commit()
    await ctx.sandbox.texter.send(number, text.format(code=code))
    return True


def take_code(ctx: Ctx, user: User, purpose: str, code: str) -> bool:
    """Whether `code` is an unused, unexpired code of this purpose; it is used up if so."""
    oldest = time.time() - ctx.sandbox.config.sms_code_ttl
    wanted = _code_digest(user, code)
    for row in ctx.db.scalars(select(SmsCode).where(
            SmsCode.user_id == user.id, SmsCode.purpose == purpose, SmsCode.used.is_(False))):
        fresh = row.created_at > oldest or ctx.has("sms_code_never_expires")
        if fresh and same(row.code_hash, wanted):
            row.used = not ctx.has("sms_code_reusable")
            return True
    return False


def phone_of(ctx: Ctx, user: User) -> PhoneNumber | None:
    return ctx.db.get(PhoneNumber, user.id)


def sms_second_factor(ctx: Ctx, user: User) -> str | None:
    """The number a sign-in texts its code to: the user's second factor is text codes."""
    phone = phone_of(ctx, user)
    on = user.mfa_enabled and user.totp_secret is None and phone is not None and phone.for_mfa
    return phone.number if on and phone is not None else None


async def send_sign_in_code(ctx: Ctx, user: User, number: str) -> bool:
    ttl = ctx.sandbox.config.sms_code_ttl
    expires = f"{ttl} seconds" if ttl < 120 else f"{ttl // 60} minutes"
    return await send_code(ctx, user, number, "mfa", "Your authprobe sandbox sign-in code is "
                           f"{{code}}. It expires in {expires}.")


# --- activation by a texted code -------------------------------------------------------------


async def start_sms_activation(ctx: Ctx, user: User | None, email: str, number: str) -> Response:
    """After sign-up with a mobile number: text the code (to a new account only) and ask for it."""
    if user is not None:
        ctx.db.add(PhoneNumber(user_id=user.id, number=number))
        await send_code(ctx, user, number, "activation",
                        "Your authprobe sandbox activation code is {code}.")
    return await _activation_page(ctx, email)


async def _activation_page(ctx: Ctx, email: str, status_code: int = 200, **values: object) -> Response:
    return await render(ctx, "sms_activation.html", "sms-activation", "Check your phone",
                        status_code, email=email, **values)


async def activate_by_sms(ctx: Ctx) -> Response:
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    email, code = normalize_email(field_str(data, "email")), field_str(data, "code")
    user = find_user(ctx.db, email)
    phone = phone_of(ctx, user) if user is not None else None
    unchecked = ctx.has("sms_activation_code_unchecked") and re.fullmatch(r"\d{6}", code.strip())
    if user is None or phone is None or user.active or not (
            unchecked or take_code(ctx, user, "activation", code)):
        return await _activation_page(ctx, email, 400, alert=BAD_CODE)
    user.active = phone.verified = True
    return await render(ctx, "simple.html", "activation", "Account activated",
                        status="Your account is active. You can now sign in.")


# --- text codes as the second factor ---------------------------------------------------------


async def _setup_page(ctx: Ctx, status_code: int = 200, **values: object) -> Response:
    values.setdefault("number", "")
    return await render(ctx, "mfa_sms_setup.html", "mfa-sms-setup", "Set up text message codes",
                        status_code, **values)


async def account_mfa_sms(ctx: Ctx) -> Response:
    """GET: ask for a number; POST send: text it a code; POST confirm: the code turns it on."""
    if (denied := await require(ctx)) is not None:
        return denied
    user = ctx.user
    assert user is not None
    if user.mfa_enabled:
        return redirect("/account/mfa")
    if (denied := reauth_gate(ctx, SETUP_PATH)) is not None:
        return denied
    if not ctx.sandbox.texter.available:
        return await _setup_page(ctx, 503, alert=NO_SMS)
    if ctx.request.method == "GET":
        return await _setup_page(ctx)
    data = await form(ctx)
    if data is None:
        return await forbidden(ctx)
    number = clean_number(field_str(data, "number"))
    if number is None:
        return await _setup_page(ctx, 400, alert=BAD_NUMBER)
    phone = phone_of(ctx, user)
    if field_str(data, "step") != "confirm":
        if phone is None:
            phone = PhoneNumber(user_id=user.id, number=number)
            ctx.db.add(phone)
        elif phone.number != number:
            phone.number, phone.verified = number, False
        sent = await send_code(ctx, user, number, "mfa_setup",
                               "Your authprobe sandbox code to turn on text codes is {code}.")
        if not sent:
            return await _setup_page(ctx, 429, number=number, alert=TOO_MANY_CODES)
        return await _setup_page(ctx, number=number, sent=True,
                                 status=f"We sent a code to {masked(number)}.")
    if phone is None or phone.number != number or not take_code(
            ctx, user, "mfa_setup", field_str(data, "code")):
        return await _setup_page(ctx, 400, number=number, sent=True, alert=BAD_CODE)
    phone.verified = phone.for_mfa = True
    user.mfa_enabled, user.totp_secret, user.totp_last_timecode = True, None, None
    user.last_mfa_at = time.time()
    codes = replace_recovery_codes(ctx.db, user, make_new=not ctx.shape("recovery_separate_screen"))
    return await render(ctx, "mfa_enabled.html", "mfa-enabled",
                        "Two-factor authentication enabled", recovery_codes=codes)


async def resend_sign_in_code(ctx: Ctx, user: User, number: str) -> tuple[int, dict[str, str]]:
    """"Send a new code" on the sign-in challenge: (status code, message for the page)."""
    if await send_sign_in_code(ctx, user, number):
        return 200, {"status": f"We sent a new code to {masked(number)}."}
    return 429, {"alert": TOO_MANY_CODES}
