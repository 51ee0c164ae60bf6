"""Sandbox shapes (`--shape NAME`, src/authprobe/sandbox/shapes.py): each one presents a UI/API shape that
real auth stacks have. Every test shows the shape's behaviour next to the unchanged default.

The app runs in-process under uvicorn and mails into an aiosmtpd capture (tests/test_sandbox.py).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest
import zxingcpp
from PIL import Image

from authprobe.errors import UnknownShapeError
from authprobe.sandbox import SHAPES
from authprobe.sandbox.shapes import validate_shapes
from tests.test_sandbox import PASSWORD, Client, Resp, Server, User, _counter, make_server, sms, smtp  # noqa: F401

MakeServer = Callable[..., Server]


@pytest.fixture
def servers(make_server: MakeServer) -> MakeServer:  # noqa: F811
    """tests/test_sandbox.py's `make_server`: `servers(*defects, shapes=…, **config)`."""
    return make_server
INVALID_LOGIN = '<div role="alert">Invalid email or password.</div>'
RESET_SENT = "If an account exists for that email, we have sent a password reset link."


def shaped(servers: MakeServer, *shapes: str, defects: tuple[str, ...] = (),
           **overrides: Any) -> Server:
    return servers(*defects, shapes=frozenset(shapes), **overrides)


def h1(resp: Resp) -> str:
    found = re.search(r"<h1>([^<]*)</h1>", resp.text)
    return found.group(1) if found else ""


def alert(resp: Resp) -> str | None:
    found = re.search(r'<div role="alert">([^<]*)</div>', resp.text)
    return found.group(1) if found else None


def post_form(client: Client, page: Resp, action: str, **fields: str) -> Resp:
    """POST to `action` with the CSRF token of a page already fetched."""
    return client.request("POST", action, form={"csrf_token": page.csrf, **fields})


def new_email(tag: str) -> str:
    return f"qa+{tag}-{next(_counter)}@sandbox.test"


def signed_up(server: Server, client: Client) -> tuple[str, str]:
    """Sign up through the form; the account's email and its activation link."""
    email = new_email("shape")
    assert client.submit("/signup", email=email, password=PASSWORD).page_id == "signup-done"
    return email, server.mail_link(email, "/activate")


def enable_mfa(client: Client, secret_from: Callable[[Resp], str], user: User) -> Resp:
    """Enrol in TOTP through the setup screen; the page that follows."""
    setup = client.get("/account/mfa")
    assert setup.page_id == "mfa-setup", setup.text
    user.totp_secret = secret_from(setup)
    return post_form(client, setup, "/account/mfa", code=user.code())


def default_secret(setup: Resp) -> str:
    secret = setup.testid("totp-secret")
    assert secret
    return secret


def list_codes(resp: Resp) -> list[str]:
    return re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", resp.text)


def textarea_codes(resp: Resp) -> list[str]:
    found = re.search(r'<textarea aria-label="Recovery codes"[^>]*\breadonly>([^<]*)</textarea>',
                      resp.text)
    assert found, resp.text
    return found.group(1).splitlines()


def sign_in_with_recovery_code(server: Server, user: User, code: str) -> bool:
    client, resp = server.login(user)
    assert resp.location == "/login/mfa"
    client.submit("/login/mfa", "/login/recovery", recovery_code=code)
    return bool(client.session()["authenticated"])


# --- the option itself ------------------------------------------------------------------


def test_shape_names_are_checked() -> None:
    assert validate_shapes(["reauth", "nav_for_all"]) == {"reauth", "nav_for_all"}
    with pytest.raises(UnknownShapeError, match=r"^Unknown shape nope; known shapes are: "
                                                r"(\w+, )*activation_confirm, activation_expired_message, "):
        validate_shapes(["nope", "reauth"])
    with pytest.raises(UnknownShapeError, match="exclude each other"):
        validate_shapes(["totp_qr_only", "totp_key_in_input"])


def test_every_shape_has_its_row_in_docs_sandbox_md() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs" / "sandbox.md"
    documented = set(re.findall(r"(?m)^\| `(\w+)` \|", docs.read_text()))
    assert set(SHAPES) <= documented, f"shapes without a row in docs/sandbox.md: {set(SHAPES) - documented}"


def test_command_line_rejects_unknown_shapes_and_lists_chosen_ones_in_the_ready_line() -> None:
    command = [sys.executable, "-m", "authprobe.sandbox", "--test-mode", "--port", "0", "--smtp-port", "0",
               "--imap-port", "0"]
    refused = subprocess.run([*command, "--shape", "nope"], capture_output=True, text=True,
                             timeout=30)
    assert refused.returncode == 2 and refused.stdout == ""
    [sentence] = refused.stderr.strip().splitlines()
    assert sentence.startswith("Unknown shape nope; known shapes are: ")
    assert all(name in sentence for name in SHAPES)

    proc = subprocess.Popen([*command, "--shape", "reauth", "--shape", "nav_for_all"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["ready"] is True and ready["shapes"] == ["nav_for_all", "reauth"]
        assert ready["defects"] == []
        client = Client(int(ready["base_url"].rsplit(":", 1)[1]))
        assert client.get("/account/reauth").location.startswith("/login?next=")
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


# --- 1 and 12: activation -----------------------------------------------------------------


def test_activation_confirm(servers: MakeServer) -> None:
    plain = servers()
    client = plain.client()
    email, link = signed_up(plain, client)
    assert h1(client.get(link)) == "Account activated"  # default: the GET activates
    assert plain.client().request("POST", "/activate").status == 405

    server = shaped(servers, "activation_confirm")
    client = server.client()
    email, link = signed_up(server, client)
    confirm = client.get(link)
    assert (confirm.status, confirm.page_id) == (200, "activation-confirm")
    assert h1(confirm) == "Confirm your email address"
    assert '<form method="post" action="/activate">' in confirm.text
    assert '<button type="submit">Confirm</button>' in confirm.text
    assert "not activated yet" in server.login(User(email, PASSWORD))[1].text  # GET did nothing
    token = link.split("token=")[1]
    forged = client.request("POST", "/activate", form={"csrf_token": "forged", "token": token})
    assert forged.status == 403
    done = post_form(client, confirm, "/activate", token=token)
    assert (done.status, done.page_id, h1(done)) == (200, "activation", "Account activated")
    assert server.signed_in(User(email, PASSWORD))
    for dead in (link, "/activate?token=nope"):  # used or unknown: fails at once, no button
        failed = client.get(dead)
        assert (failed.status, h1(failed)) == (400, "Activation failed")
        assert "Confirm</button>" not in failed.text


def test_activation_expired_message(servers: MakeServer) -> None:
    server = shaped(servers, "activation_confirm", "activation_expired_message")
    client = server.client()
    email, link = signed_up(server, client)
    token = link.split("token=")[1]
    assert h1(post_form(client, client.get(link), "/activate", token=token)) == "Account activated"
    again = client.get(link)  # used: the button again, the failure only after Confirm
    assert (again.status, h1(again)) == (200, "Confirm your email address")
    failed = post_form(client, again, "/activate", token=token)
    assert (failed.status, h1(failed)) == (400, "Activation failed")
    unknown = client.get("/activate?token=nope")
    assert (unknown.status, h1(unknown)) == (400, "Activation failed")

    expiring = server.client()
    email, link = signed_up(server, expiring)
    server.hook("tokens/backdate", {"email": email, "kind": "activation", "seconds": 86401})
    shown = expiring.get(link)
    assert h1(shown) == "Confirm your email address"
    assert h1(post_form(expiring, shown, "/activate", token=link.split("token=")[1])) == \
        "Activation failed"

    # activation_confirm alone (tested above): a used link fails at once; alone this one
    # changes nothing.
    alone = shaped(servers, "activation_expired_message")
    client = alone.client()
    _, link = signed_up(alone, client)
    assert h1(client.get(link)) == "Account activated"
    assert h1(client.get(link)) == "Activation failed"


# --- 2: re-authentication -------------------------------------------------------------------


def test_reauth(servers: MakeServer, tmp_path: Path) -> None:
    plain = servers()
    client = plain.signed_in(plain.user())
    for screen in ("/account/password", "/account/delete", "/account/mfa"):
        assert client.get(screen).status == 200
    assert client.get("/account/reauth").status == 404

    db = tmp_path / "app.sqlite3"
    server = shaped(servers, "reauth", db_path=str(db))
    user = server.user()
    client = server.signed_in(user)
    assert client.get("/account").status == 200  # not a sensitive screen
    prompt_url = client.get("/account/password").location  # right after sign-in: prompted
    assert prompt_url == "/account/reauth?next=/account/password"
    prompt = client.get(prompt_url)
    assert (prompt.status, prompt.page_id, h1(prompt)) == (200, "reauth", "Confirm your password")
    assert '<label for="reauth-password">Your password</label>' in prompt.text
    assert '<button type="submit">Confirm</button>' in prompt.text
    wrong = post_form(client, prompt, "/account/reauth", next="/account/password", password="nope")
    assert (wrong.status, wrong.page_id, alert(wrong)) == (400, "reauth",
                                                           "That password is not correct.")
    right = post_form(client, prompt, "/account/reauth", next="/account/password",
                      password=PASSWORD)
    assert right.location == "/account/password"
    assert client.get("/account/password").page_id == "password-change"
    # Each sensitive screen asks on its first visit, even with a fresh password entry.
    for screen in ("/account/delete", "/account/mfa"):
        assert client.get(screen).location == f"/account/reauth?next={screen}"
    # Only local paths as next.
    for evil in ("https://evil.test/", "//evil.test/"):
        assert post_form(client, prompt, "/account/reauth", next=evil,
                         password=PASSWORD).location == "/account"
    # A password change (new session id) keeps the confirmation.
    changed = client.submit("/account/password", current_password=PASSWORD,
                            new_password="a new password", new_password_confirm="a new password")
    assert changed.page_id == "account"
    assert client.get("/account/password").status == 200
    # Older than 5 minutes: prompted again, and the form's POST is refused the same way.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE reauth_confirmations SET confirmed_at = confirmed_at - 301")
    assert client.get("/account/password").location == "/account/reauth?next=/account/password"
    posted = post_form(client, client.get("/account"), "/account/password",
                       current_password="a new password", new_password="x" * 12,
                       new_password_confirm="x" * 12)
    assert posted.location == "/account/reauth?next=/account/password"
    assert server.signed_in(User(user.email, "a new password"))  # nothing changed
    # A new sign-in starts over; the hooks still work with the shape on.
    again = server.signed_in(User(user.email, "a new password"))
    assert again.get("/account/password").location.startswith("/account/reauth")
    assert server.hook("sessions/backdate", {"email": user.email, "idle_seconds": 99999}
                       ).json()["sessions"] == 3
    assert again.get(prompt_url).location.startswith("/login?expired=1")


# --- 3, 4, 5: where the TOTP key is shown -------------------------------------------------


def test_totp_key_in_input(servers: MakeServer) -> None:
    plain = servers()
    setup = plain.signed_in(plain.user()).get("/account/mfa")
    assert setup.testid("totp-secret") and setup.testid("totp-uri")
    assert "Setup key" not in setup.text

    server = shaped(servers, "totp_key_in_input")
    user = server.user()
    client = server.signed_in(user)

    def from_input(setup: Resp) -> str:
        assert setup.testid("totp-secret") is None and setup.testid("totp-uri") is None
        assert "otpauth://" not in setup.text
        assert '<label for="setup-key">Setup key</label>' in setup.text
        found = re.search(r'<input id="setup-key" type="text" value="([A-Z2-7]+)" readonly>',
                          setup.text)
        assert found
        return found.group(1)

    assert enable_mfa(client, from_input, user).page_id == "mfa-enabled"


def test_totp_key_in_attribute(servers: MakeServer) -> None:
    plain = servers()
    assert 'id="authenticator"' not in plain.signed_in(plain.user()).get("/account/mfa").text

    server = shaped(servers, "totp_key_in_attribute")
    user = server.user()
    client = server.signed_in(user)

    def from_attribute(setup: Resp) -> str:
        found = re.search(r'<div id="authenticator" data-secret="([A-Z2-7]+)">'
                          r"Scan the code with your authenticator app</div>", setup.text)
        assert found
        secret = found.group(1)
        assert setup.text.count(secret) == 1  # nowhere else: no text, no input, no URI
        assert setup.testid("totp-secret") is None and "otpauth://" not in setup.text
        return secret

    assert enable_mfa(client, from_attribute, user).page_id == "mfa-enabled"


def test_totp_qr_only(servers: MakeServer) -> None:
    plain = servers()
    assert 'alt="QR code" src="data:image/svg+xml' in \
        plain.signed_in(plain.user()).get("/account/mfa").text

    server = shaped(servers, "totp_qr_only")
    user = server.user()
    client = server.signed_in(user)

    def from_qr_code(setup: Resp) -> str:
        found = re.search(r'<img alt="QR code" src="data:image/png;base64,([A-Za-z0-9+/=]+)">',
                          setup.text)
        assert found, setup.text
        image = Image.open(io.BytesIO(base64.b64decode(found.group(1))))
        [barcode] = zxingcpp.read_barcodes(image)
        uri = barcode.text
        assert uri.startswith("otpauth://totp/") and "issuer=authprobe%20sandbox" in uri
        secret = str(pyotp.parse_uri(uri).secret)
        assert secret not in setup.text and "otpauth://" not in setup.text
        assert setup.testid("totp-secret") is None and "data-secret" not in setup.text
        assert "Setup key" not in setup.text
        return secret

    assert enable_mfa(client, from_qr_code, user).page_id == "mfa-enabled"


# --- 6, 7: recovery codes -------------------------------------------------------------------


def test_recovery_separate_screen(servers: MakeServer) -> None:
    plain = servers()
    user = plain.user()
    client = plain.signed_in(user)
    assert len(list_codes(enable_mfa(client, default_secret, user))) == 10
    assert client.get("/account/recovery-codes").status == 404

    server = shaped(servers, "recovery_separate_screen")
    user = server.user()
    client = server.signed_in(user)
    enabled = enable_mfa(client, default_secret, user)
    assert enabled.page_id == "mfa-enabled" and list_codes(enabled) == []
    assert 'data-testid="recovery-codes"' not in enabled.text
    assert '<a href="/account/recovery-codes">Recovery codes</a>' in enabled.text
    assert '<a href="/account/recovery-codes">' in client.get("/account/mfa").text  # manage
    screen = client.get("/account/recovery-codes")
    assert (screen.status, screen.page_id, h1(screen)) == (200, "recovery-codes", "Recovery codes")
    assert '<button type="submit">Generate new codes</button>' in screen.text
    assert list_codes(screen) == []
    assert client.request("POST", "/account/recovery-codes",
                          form={"csrf_token": "forged"}).status == 403
    first = list_codes(post_form(client, screen, "/account/recovery-codes"))
    second_page = post_form(client, screen, "/account/recovery-codes")
    assert h1(second_page) == "Recovery codes"
    second = list_codes(second_page)
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    assert not sign_in_with_recovery_code(server, user, first[0])  # replaced
    assert sign_in_with_recovery_code(server, user, second[0])
    # Without two-factor there is nothing to make codes for.
    assert server.signed_in(server.user()).get("/account/recovery-codes").location == \
        "/account/mfa"


def test_recovery_textarea(servers: MakeServer) -> None:
    server = shaped(servers, "recovery_textarea")
    user = server.user()
    enabled = enable_mfa(server.signed_in(user), default_secret, user)
    assert list_codes(enabled) == [] and 'data-testid="recovery-codes"' not in enabled.text
    codes = textarea_codes(enabled)
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes)
    assert sign_in_with_recovery_code(server, user, codes[3])

    # With the separate screen, that screen shows them so.
    both = shaped(servers, "recovery_textarea", "recovery_separate_screen")
    user = both.user()
    client = both.signed_in(user)
    enable_mfa(client, default_secret, user)
    made = post_form(client, client.get("/account/recovery-codes"), "/account/recovery-codes")
    assert len(textarea_codes(made)) == 10 and list_codes(made) == []


# --- 8: refused sign-in -------------------------------------------------------------------


def test_signin_refused_screen(servers: MakeServer, tmp_path: Path) -> None:
    plain = servers()
    _, refused = plain.login(plain.user(active=False))
    assert refused.status == 400 and "not activated yet" in refused.text
    assert plain.client().get("/verify-email").status == 404

    db = tmp_path / "app.sqlite3"
    server = shaped(servers, "signin_refused_screen", db_path=str(db))
    inactive = server.user(active=False)
    client, resp = server.login(inactive)
    assert (resp.status, resp.location) == (303, "/verify-email")
    page = client.get("/verify-email")
    assert (page.page_id, h1(page)) == ("verify-email", "Verify your email address")
    assert client.session()["authenticated"] is False
    # Wrong password and unknown account: the usual form error, nothing more.
    for who in (User(inactive.email, "wrong password"), User(new_email("nobody"), PASSWORD)):
        _, wrong = server.login(who)
        assert wrong.status == 400 and INVALID_LOGIN in wrong.text and wrong.page_id == "login"

    # Deactivated on the admin screen, or by `python -m authprobe.sandbox.admin`.
    by_screen, by_command = server.user(), server.user()
    admin = server.signed_in(server.user("admin"))
    admin.submit("/admin", "/admin/deactivate", email=by_screen.email)
    done = subprocess.run([sys.executable, "-m", "authprobe.sandbox.admin", "deactivate", by_command.email],
                          env={**os.environ, "SANDBOX_DB": str(db)}, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    for user in (by_screen, by_command):
        client, resp = server.login(user)
        assert resp.location == "/account-locked"
        page = client.get("/account-locked")
        assert (page.page_id, h1(page)) == ("account-locked", "Account unavailable")
        assert INVALID_LOGIN in server.login(user, password="wrong password")[1].text


# --- 9: session probe -----------------------------------------------------------------------


def test_probe_selectors(servers: MakeServer) -> None:
    plain = servers()
    assert plain.client().session() == {"authenticated": False, "mfa_pending": False,
                                        "user": None, "client_address": "127.0.0.1"}
    assert plain.client().get("/api/me").status == 404

    server = shaped(servers, "probe_selectors")
    anonymous = server.client().get("/api/session")
    assert (anonymous.status, anonymous.json()) == (401, {"detail": "not signed in",
                                                          "pending": []})
    me = server.client().get("/api/me")
    assert (me.status, me.json()) == (401, {"detail": "not signed in"})

    user = server.user("editor", mfa=True)
    client, resp = server.login(user)
    halfway = client.get("/api/session")
    assert (halfway.status, halfway.json()) == (401, {"detail": "not signed in",
                                                      "pending": [{"type": "second_factor"}]})
    assert client.get("/api/me").status == 401
    assert client.submit("/login/mfa", code=user.code()).location == "/account"
    signed = client.get("/api/session")
    assert (signed.status, signed.json()) == (200, {"email": user.email, "pending": []})
    me = client.get("/api/me")
    assert (me.status, me.json()) == (200, {"email": user.email,
                                            "groups": [{"name": "member"}, {"name": "editor"}]})
    account = client.get("/account")
    assert account.testid("current-user") == user.email
    assert account.testid("current-roles") == "member editor"
    client.submit("/account", "/logout")
    assert client.get("/api/session").json() == {"detail": "not signed in", "pending": []}


# --- 10: reset notice -----------------------------------------------------------------------


def test_reset_notice_mail(servers: MakeServer) -> None:
    def screen(server: Server, email: str) -> tuple[int, str | None, str]:
        resp = server.request_reset(email)
        return resp.status, resp.page_id, re.sub(r'value="[^"]+"', "", resp.text)

    plain = servers()
    unknown = new_email("nobody")
    default_screen = screen(plain, unknown)
    assert RESET_SENT in default_screen[2]
    assert plain.mail.to(unknown) == []

    server = shaped(servers, "reset_notice_mail")
    unknown = new_email("nobody")
    user = server.user()
    assert screen(server, unknown) == screen(server, user.email) == default_screen
    [notice] = server.mail.to(unknown)
    assert notice["Subject"] == "Password reset request"
    assert notice["From"] == "authprobe sandbox <no-reply@sandbox.test>"
    plain_part, html_part = notice.get_body(("plain",)), notice.get_body(("html",))
    assert plain_part is not None and html_part is not None
    text, page = plain_part.get_content(), html_part.get_content()
    assert "no account uses this address" in text
    assert "no account uses this address" in html.unescape(page)
    for body in (text, page):
        assert "http" not in body and "token" not in body.lower() and "<a" not in body
        assert server.config.base_url not in body and unknown not in body
    # The account holder still gets the link, and a malformed address gets nothing.
    assert server.mail.to(user.email)[-1]["Subject"] == "Reset your password"
    before = len(server.mail.messages)
    assert server.request_reset("not-an-address").status == 200
    assert len(server.mail.messages) == before


# --- 11: navigation -----------------------------------------------------------------------


def test_nav_for_all(servers: MakeServer) -> None:
    plain = servers()
    nav = plain.signed_in(plain.user()).get("/account").text
    assert 'href="/editor"' not in nav and 'href="/admin"' not in nav

    server = shaped(servers, "nav_for_all")
    member = server.signed_in(server.user())
    nav = member.get("/account").text
    assert '<a href="/editor">Editor area</a>' in nav and '<a href="/admin">Admin</a>' in nav
    assert member.get("/editor").status == 403 and member.get("/admin").status == 403
    assert 'href="/editor"' not in server.client().get("/login").text  # signed-in users only


# --- all at once ----------------------------------------------------------------------------


def test_all_shapes_together_with_a_defect(servers: MakeServer) -> None:
    """Every shape that can combine (one TOTP presentation), plus a seeded defect: the whole
    way from sign-up to a recovery-code sign-in still works."""
    shapes = set(SHAPES) - {"totp_key_in_input", "totp_key_in_attribute",
                            "no_reset_no_mfa", "no_admin_screen",  # these take screens away
                            "signup_extra_fields"}  # its form asks more than this sign-up sends
    server = shaped(servers, *shapes, defects=("activation_link_reusable",))
    client = server.client()
    email, link = signed_up(server, client)
    token = link.split("token=")[1]
    post_form(client, client.get(link), "/activate", token=token)
    again = post_form(client, client.get(link), "/activate", token=token)
    assert h1(again) == "Account activated"  # the defect: the token is not consumed
    user = User(email, PASSWORD)
    client = server.signed_in(user)
    prompt = client.get(client.get("/account/mfa").location)
    client.request("POST", "/account/reauth", form={
        "csrf_token": prompt.csrf, "next": "/account/mfa", "password": PASSWORD})

    def from_qr(setup: Resp) -> str:
        found = re.search(r'src="data:image/png;base64,([^"]+)"', setup.text)
        assert found
        [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(found[1]))))
        return str(pyotp.parse_uri(barcode.text).secret)

    assert list_codes(enable_mfa(client, from_qr, user)) == []
    assert client.get("/account/recovery-codes").location.startswith("/account/reauth")
    prompt = client.get("/account/reauth?next=/account/recovery-codes")
    screen = client.get(post_form(client, prompt, "/account/reauth", password=PASSWORD,
                                  next="/account/recovery-codes").location)
    codes = textarea_codes(post_form(client, screen, "/account/recovery-codes"))
    pending, _ = server.login(user)
    assert pending.get("/api/session").json()["pending"] == [{"type": "second_factor"}]
    pending.submit("/login/mfa", "/login/recovery", recovery_code=codes[0])
    assert pending.get("/api/me").json()["groups"] == [{"name": "member"}]
