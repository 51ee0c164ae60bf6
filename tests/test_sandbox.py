"""Sandbox reference app: its contract (docs/sandbox.md) and every seeded defect.

The app runs under a real uvicorn server on a free port and mails over real SMTP into an
aiosmtpd capture, so cookies, redirects and mail are what a browser and inbox would see.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pyotp
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from authprobe.errors import UnknownDefectError
from authprobe.oob.sms import Phone
from authprobe.sandbox import SandboxConfig, create_app
from authprobe.sandbox.defects import validate_defects
from authprobe.sandbox.smssink import SmsSink
from tests.served_app import ServedApp

PASSWORD = "correct horse battery"
ADMIN_TOKEN = "admin-token-for-tests"
HOOK_TOKEN = "hook-token-for-tests"
_counter = iter(range(10**9))

# --- infrastructure ---------------------------------------------------------------------


class MailCapture:
    """aiosmtpd handler keeping every delivered message in memory."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[MailCapture, int]]:
    capture = MailCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield capture, controller.port
    controller.stop()


SMS_SID, SMS_TOKEN = "AC" + "0" * 32, "sms-token-for-tests"


@pytest.fixture(scope="module")
def sms() -> Iterator[Phone]:
    """The SMS sink on a loop of its own, and a test phone reading it over its REST API."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sink = SmsSink("127.0.0.1", 0, SMS_SID, SMS_TOKEN)
    asyncio.run_coroutine_threadsafe(sink.start(), loop).result(10)
    yield Phone(sink.url, SMS_SID, SecretStr(SMS_TOKEN))
    asyncio.run_coroutine_threadsafe(sink.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Resp:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert found, f"no csrf token in page (status {self.status})"
        return found.group(1)

    def testid(self, name: str) -> str | None:
        found = re.search(rf'data-testid="{name}">([^<]*)<', self.text)
        return found.group(1) if found else None

    @property
    def page_id(self) -> str | None:
        found = re.search(r'data-page-id="([^"]+)"', self.text)
        return found.group(1) if found else None


@dataclass
class Client:
    """A browser-like cookie jar over http.client; never follows redirects."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    last_set_cookie: list[str] = field(default_factory=list)
    source: str = "127.0.0.1"  # the address the sandbox sees (any of 127.0.0.0/8)

    def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None,
        body: Any = None, headers: dict[str, str] | None = None,
    ) -> Resp:
        hdrs = dict(headers or {})
        payload: bytes | None = None
        if form is not None:
            payload = urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                          source_address=(self.source, 0))
        try:
            conn.request(method, path, body=payload, headers=hdrs)
            raw = conn.getresponse()
            resp = Resp(raw.status, raw.headers, raw.read().decode())
        finally:
            conn.close()
        self.last_set_cookie = raw.headers.get_all("Set-Cookie") or []
        for header in self.last_set_cookie:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return resp

    def get(self, path: str, **kw: Any) -> Resp:
        return self.request("GET", path, **kw)

    def submit(self, page: str, action: str | None = None, **fields: str) -> Resp:
        """GET a page, then POST its form (with its CSRF token) to `action`."""
        token = self.get(page).csrf
        return self.request("POST", action or page, form={"csrf_token": token, **fields})

    def session(self) -> dict[str, Any]:
        data = self.get("/api/session").json()
        assert isinstance(data, dict)
        return data


class Server:
    """create_app(config) served by uvicorn in a thread, plus helpers to drive it."""

    def __init__(self, config: SandboxConfig, mail: MailCapture, phone: Phone) -> None:
        self.config = config
        self.mail = mail
        self.phone = phone
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._served = ServedApp(create_app(config), sock)

    def stop(self) -> None:
        self._served.stop()

    def client(self) -> Client:
        return Client(self.port)

    def admin(self, method: str, path: str, body: Any = None, token: str = ADMIN_TOKEN) -> Resp:
        return self.client().request(
            method, path, body=body, headers={"Authorization": f"Bearer {token}"}
        )

    def hook(self, path: str, body: Any, token: str | None = HOOK_TOKEN) -> Resp:
        headers = {"X-Test-Hook-Token": token} if token else {}
        return self.client().request("POST", f"/__test__/{path}", body=body, headers=headers)

    def user(self, role: str = "member", *, password: str = PASSWORD, mfa: bool = False,
             active: bool = True) -> User:
        email = f"qa+u{next(_counter)}@sandbox.test"
        resp = self.admin("POST", "/api/admin/users", {
            "email": email, "password": password, "role": role, "active": active, "mfa": mfa,
        })
        assert resp.status == 201, resp.text
        data = resp.json()
        return User(email, password, data.get("totp_secret"), data.get("recovery_codes", []))

    def login(self, user: User, client: Client | None = None, *,
              password: str | None = None) -> tuple[Client, Resp]:
        client = client or self.client()
        resp = client.submit("/login", email=user.email,
                             password=user.password if password is None else password)
        return client, resp

    def signed_in(self, user: User) -> Client:
        client, resp = self.login(user)
        assert resp.status == 303 and resp.location == "/account", resp.text
        return client

    def mail_link(self, to: str, path: str) -> str:
        mails = self.mail.to(to)
        assert mails, f"no mail to {to}"
        body = mails[-1].get_body(("plain",))
        assert body is not None
        found = re.search(rf"{re.escape(self.config.base_url)}({re.escape(path)}\?token=\S+)",
                          body.get_content())
        assert found, body.get_content()
        return found.group(1)

    def texted_code(self, number: str) -> str:
        return self.phone.wait_for(to=number, timeout=5).code()

    def sms_user(self) -> tuple[User, str]:
        """A user whose second factor is text codes, and their number."""
        user, number = self.user(), self.phone.number()
        client = self.signed_in(user)
        client.submit("/account/mfa/sms", number=number, step="send")
        done = client.submit("/account/mfa/sms", number=number, step="confirm",
                             code=self.texted_code(number))
        assert done.page_id == "mfa-enabled", done.text
        return user, number

    def request_reset(self, email: str) -> Resp:
        return self.client().submit("/reset", email=email)


@dataclass
class User:
    email: str
    password: str
    totp_secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)

    def code(self, step_offset: int = 0) -> str:
        assert self.totp_secret
        timecode = int(time.time() // 30) + step_offset
        return pyotp.TOTP(self.totp_secret).at(timecode * 30)


@pytest.fixture
def make_server(smtp: tuple[MailCapture, int], sms: Phone) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []
    capture, smtp_port = smtp

    def make(*defects: str, **overrides: Any) -> Server:
        port = _free_port()
        values: dict[str, Any] = {
            "base_url": f"http://127.0.0.1:{port}", "smtp_port": smtp_port,
            "admin_token": ADMIN_TOKEN, "hook_token": HOOK_TOKEN, "test_mode": True,
            "hash_profile": "fast", "defects": frozenset(defects), "reset_ttl": 900,
            "sms_api_url": sms.api_url, "sms_account_sid": SMS_SID, "sms_auth_token": SMS_TOKEN,
        }
        values.update(overrides)
        server = Server(SandboxConfig(**values), capture, sms)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(make_server: Callable[..., Server]) -> Server:
    return make_server()


# --- sign-up, activation, login ---------------------------------------------------------


@pytest.mark.signup
def test_signup_mail_activation_then_login(sandbox: Server) -> None:
    email = f"qa+signup-{next(_counter)}@sandbox.test"
    client = sandbox.client()
    resp = client.submit("/signup", email=email, password=PASSWORD)
    assert (resp.status, resp.page_id) == (200, "signup-done")
    [mail] = sandbox.mail.to(email)
    assert mail["Subject"] == "Activate your account"
    assert mail["From"] == "authprobe sandbox <no-reply@sandbox.test>"
    assert mail.get_content_type() == "multipart/alternative"
    link = sandbox.mail_link(email, "/activate")
    html = mail.get_body(("html",))
    assert html is not None and link.replace("&", "&amp;") in html.get_content()

    _, before = sandbox.login(User(email, PASSWORD))
    assert before.status == 400 and "not activated yet" in before.text

    activated = client.get(link)
    assert (activated.status, activated.page_id) == (200, "activation")
    assert "<h1>Account activated</h1>" in activated.text
    again = client.get(link)
    assert again.status == 400 and "invalid or has expired" in again.text

    signed_in = sandbox.signed_in(User(email, PASSWORD))
    assert signed_in.session() == {
        "authenticated": True, "mfa_pending": False,
        "user": {"email": email, "roles": ["member"], "signed_in_with": "password",
                 "second_factor": None},
        "client_address": "127.0.0.1",
    }
    account = signed_in.get("/account")
    assert account.testid("current-user") == email
    assert account.testid("current-roles") == "member"


@pytest.mark.signup
def test_signup_rejects_short_password_and_existing_email_gets_no_mail(sandbox: Server) -> None:
    user = sandbox.user()
    short = sandbox.client().submit("/signup", email="qa+short@sandbox.test", password="1234567")
    assert "Password must be at least 8 characters." in short.text
    existing = sandbox.client().submit("/signup", email=user.email, password=PASSWORD)
    assert existing.page_id == "signup-done"
    assert sandbox.mail.to(user.email) == []


@pytest.mark.login
def test_wrong_password_and_unknown_email_get_the_same_message(sandbox: Server) -> None:
    user = sandbox.user()
    _, wrong = sandbox.login(user, password="wrong password")
    _, unknown = sandbox.login(User("qa+nobody@sandbox.test", PASSWORD))
    for resp in (wrong, unknown):
        assert '<div role="alert">Invalid email or password.</div>' in resp.text


@pytest.mark.login
def test_any_characters_in_passwords_are_kept_exactly(make_server: Callable[..., Server]) -> None:
    sandbox = make_server()
    odd = ' "quoted" <b>&amp; 100%+ ünïcødé 密码 '
    user = sandbox.user(password=odd)
    assert sandbox.signed_in(user).session()["authenticated"]
    _, stripped = sandbox.login(user, password=odd.strip())
    assert stripped.status == 400


@pytest.mark.login
def test_next_parameter_only_allows_relative_paths(sandbox: Server) -> None:
    user = sandbox.user()
    for next_path, expected in [("/member", "/member"), ("https://evil.test/", "/account"),
                                ("//evil.test/", "/account"), ("/\\evil.test", "/account")]:
        client = sandbox.client()
        token = client.get("/login").csrf
        resp = client.request("POST", "/login?" + urlencode({"next": next_path}), form={
            "csrf_token": token, "email": user.email, "password": user.password})
        assert resp.location == expected, next_path


@pytest.mark.hygiene
def test_forms_without_valid_csrf_token_are_forbidden(sandbox: Server) -> None:
    user = sandbox.user()
    client = sandbox.client()
    client.get("/login")
    for token in ("", "forged"):
        resp = client.request("POST", "/login", form={
            "csrf_token": token, "email": user.email, "password": user.password})
        assert resp.status == 403 and "<h1>Forbidden</h1>" in resp.text
    # A token from another session is no good either.
    other = sandbox.client().get("/login").csrf
    resp = client.request("POST", "/login", form={
        "csrf_token": other, "email": user.email, "password": user.password})
    assert resp.status == 403
    assert client.session()["authenticated"] is False


@pytest.mark.hygiene
def test_security_headers_on_every_response(sandbox: Server) -> None:
    client = sandbox.client()
    for resp in (client.get("/login"), client.get("/api/session"), client.get("/account"),
                 client.get("/no/such/page")):
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Content-Security-Policy"] == \
            "default-src 'self'; img-src 'self' data:"


# --- sessions ---------------------------------------------------------------------------


@pytest.mark.sessions
def test_session_id_rotates_at_sign_in_and_cookie_flags(sandbox: Server) -> None:
    user = sandbox.user()
    client = sandbox.client()
    client.get("/login")
    anonymous = client.cookies["authprobe_session"]
    token = client.get("/login").csrf
    client.request("POST", "/login", form={
        "csrf_token": token, "email": user.email, "password": user.password})
    [cookie] = [c for c in client.last_set_cookie if c.startswith("authprobe_session=")]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.cookies["authprobe_session"] != anonymous
    planted = Client(sandbox.port, {"authprobe_session": anonymous})
    assert planted.session()["authenticated"] is False


@pytest.mark.sessions
def test_logout_deletes_the_server_session(sandbox: Server) -> None:
    client = sandbox.signed_in(sandbox.user())
    old = dict(client.cookies)
    resp = client.submit("/account", "/logout")
    assert resp.location == "/login?signed_out=1"
    assert "authprobe_session" not in client.cookies
    assert "You have been signed out." in client.get(resp.location).text
    assert Client(sandbox.port, old).session()["authenticated"] is False


@pytest.mark.sessions
@pytest.mark.parametrize("backdate", [{"idle_seconds": 1801}, {"age_seconds": 28801}])
def test_idle_and_absolute_ttl_expire_the_session(sandbox: Server, backdate: dict[str, int],
                                                  ) -> None:
    user = sandbox.user()
    client = sandbox.signed_in(user)
    other = sandbox.signed_in(user)
    resp = sandbox.hook("sessions/backdate", {"email": user.email, **backdate})
    assert resp.json() == {"sessions": 2}
    redirect = client.get("/account")
    assert redirect.location == "/login?expired=1&next=/account"
    assert "Your session has expired" in client.get(redirect.location).text
    assert other.session()["authenticated"] is False


@pytest.mark.sessions
def test_activity_keeps_the_session_alive(make_server: Callable[..., Server]) -> None:
    sandbox = make_server(idle_ttl=1800)
    user = sandbox.user()
    client = sandbox.signed_in(user)
    sandbox.hook("sessions/backdate", {"email": user.email, "idle_seconds": 1000})
    assert client.session()["authenticated"]
    sandbox.hook("sessions/backdate", {"email": user.email, "idle_seconds": 1000})
    assert client.session()["authenticated"]


@pytest.mark.hygiene
def test_hooks_need_test_mode_and_token(make_server: Callable[..., Server]) -> None:
    body = {"email": "qa@sandbox.test", "idle_seconds": 1}
    off = make_server(test_mode=False)
    assert off.hook("sessions/backdate", body).status == 404
    on = make_server()
    assert on.hook("sessions/backdate", body, token=None).status == 401
    assert on.hook("sessions/backdate", body, token="wrong").status == 401
    assert on.hook("tokens/backdate", {**body, "kind": "reset"}, token="wrong").status == 401


# --- password reset ---------------------------------------------------------------------

RESET_SENT = "If an account exists for that email, we have sent a password reset link."


@pytest.mark.reset
def test_reset_flow_is_single_use_ends_sessions_and_does_not_sign_in(sandbox: Server) -> None:
    user = sandbox.user()
    unknown = sandbox.request_reset("qa+nobody-reset@sandbox.test")
    known = sandbox.request_reset(user.email)
    for resp in (unknown, known):
        assert f'<div role="status">{RESET_SENT}</div>' in resp.text
    assert sandbox.mail.to("qa+nobody-reset@sandbox.test") == []
    assert sandbox.mail.to(user.email)[-1]["Subject"] == "Reset your password"

    elsewhere = sandbox.signed_in(user)
    link = sandbox.mail_link(user.email, "/reset/confirm")
    client = sandbox.client()
    token = link.split("token=")[1]
    done = client.submit(link, "/reset/confirm", token=token, password="brand new password")
    assert (done.status, done.page_id) == (200, "reset-done")
    assert client.session()["authenticated"] is False
    assert elsewhere.session()["authenticated"] is False
    assert sandbox.login(user)[1].status == 400
    assert sandbox.signed_in(User(user.email, "brand new password"))
    reused = sandbox.client().get(link)
    assert (reused.status, reused.page_id) == (400, "reset-invalid")


@pytest.mark.reset
def test_reset_link_expires(sandbox: Server) -> None:
    user = sandbox.user()
    sandbox.request_reset(user.email)
    link = sandbox.mail_link(user.email, "/reset/confirm")
    assert sandbox.client().get(link).status == 200
    resp = sandbox.hook("tokens/backdate", {"email": user.email, "kind": "reset", "seconds": 901})
    assert resp.json() == {"tokens": 1}
    expired = sandbox.client().get(link)
    assert expired.status == 400
    assert "This password reset link is invalid or has expired." in expired.text


# --- MFA --------------------------------------------------------------------------------


@pytest.mark.mfa
def test_mfa_enrol_challenge_replay_and_recovery_codes(sandbox: Server) -> None:
    user = sandbox.user()
    client = sandbox.signed_in(user)
    setup = client.get("/account/mfa")
    assert setup.page_id == "mfa-setup" and 'alt="QR code" src="data:image/svg+xml' in setup.text
    secret = setup.testid("totp-secret")
    assert secret and (setup.testid("totp-uri") or "").startswith("otpauth://totp/")
    user.totp_secret = secret
    wrong = client.submit("/account/mfa", code="000000" if user.code() != "000000" else "111111")
    assert "Invalid authentication code." in wrong.text
    enrolment_code = user.code()
    enabled = client.submit("/account/mfa", code=enrolment_code)
    assert enabled.page_id == "mfa-enabled"
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", enabled.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/account/mfa").page_id == "mfa-manage"

    pending, resp = sandbox.login(user)
    assert resp.location == "/login/mfa"
    assert pending.session() == {"authenticated": False, "mfa_pending": True, "user": None,
                                 "client_address": "127.0.0.1"}
    assert pending.get("/account").status == 303
    replay = pending.submit("/login/mfa", code=enrolment_code)
    assert "Invalid authentication code." in replay.text
    verified = pending.submit("/login/mfa", code=user.code(+1))
    assert verified.location == "/account"
    assert pending.session()["authenticated"] is True

    for attempt in range(2):
        client, _ = sandbox.login(user)
        used = client.submit("/login/mfa", "/login/recovery", recovery_code=codes[0])
        assert client.session()["authenticated"] is (attempt == 0)
        if attempt:
            assert "Invalid recovery code." in used.text

    disabling = sandbox.login(user)[0]
    disabling.submit("/login/mfa", "/login/recovery", recovery_code=codes[1])
    refused = disabling.submit("/account/mfa", "/account/mfa/disable", password="nope nope")
    assert "Incorrect password." in refused.text
    disabling.submit("/account/mfa", "/account/mfa/disable", password=user.password)
    assert sandbox.login(user)[1].location == "/account"


# --- roles and admin --------------------------------------------------------------------

AREAS = {"member": ("/member", "/api/member"), "editor": ("/editor", "/api/editor"),
         "admin": ("/admin", "/api/admin/users")}


@pytest.mark.roles
@pytest.mark.parametrize("role", ["member", "editor", "admin"])
def test_roles_matrix_for_pages_apis_and_nav(sandbox: Server, role: str) -> None:
    client = sandbox.signed_in(sandbox.user(role))
    rank = list(AREAS).index(role)
    for index, (page, api) in enumerate(AREAS.values()):
        allowed = index <= rank
        assert client.get(page).status == (200 if allowed else 403), page
        assert client.get(api).status == (200 if allowed else 403), api
    nav = client.get("/account").text
    assert ('href="/editor"' in nav) is (rank >= 1)
    assert ('href="/admin"' in nav) is (rank >= 2)
    anonymous = sandbox.client()
    assert anonymous.get("/editor").location == "/login?next=/editor"
    assert anonymous.get("/api/editor").status == 401


@pytest.mark.roles
def test_admin_api_needs_token_and_manages_users(sandbox: Server) -> None:
    body = {"email": "qa+api@sandbox.test", "password": PASSWORD, "role": "editor"}
    assert sandbox.admin("POST", "/api/admin/users", body, token="wrong").status == 401
    assert sandbox.client().request("POST", "/api/admin/users", body=body).status == 401
    assert sandbox.admin("POST", "/api/admin/users", body).status == 201
    assert sandbox.admin("POST", "/api/admin/users", body).status == 409
    listed = sandbox.admin("GET", "/api/admin/users").json()["users"]
    assert {"email": body["email"], "role": "editor", "active": True, "mfa": False} in listed
    put = sandbox.admin("PUT", "/api/admin/users/qa+api@sandbox.test/role", {"role": "admin"})
    assert put.json() == {"email": body["email"], "role": "admin"}
    assert sandbox.admin("DELETE", "/api/admin/users/qa+api@sandbox.test").status == 204
    assert sandbox.admin("DELETE", "/api/admin/users/qa+api@sandbox.test").status == 404


@pytest.mark.roles
def test_role_change_applies_at_the_next_request(sandbox: Server) -> None:
    editor = sandbox.user("editor")
    client = sandbox.signed_in(editor)
    assert client.get("/editor").status == 200
    admin = sandbox.signed_in(sandbox.user("admin"))
    page = admin.get("/admin")
    assert '<label for="role-' in page.text and f"Role for {editor.email}</label>" in page.text
    changed = admin.submit("/admin", "/admin/role", email=editor.email, role="member")
    assert '<div role="status">Role updated.</div>' in changed.text
    assert client.get("/editor").status == 403
    assert client.get("/api/editor").status == 403
    assert client.session()["user"]["roles"] == ["member"]


@pytest.mark.concurrency
def test_concurrent_logins_all_succeed(make_server: Callable[..., Server]) -> None:
    sandbox = make_server()
    users = [sandbox.user() for _ in range(10)]
    with ThreadPoolExecutor(10) as pool:
        clients = list(pool.map(sandbox.signed_in, users))
    assert [c.session()["user"]["email"] for c in clients] == [u.email for u in users]


def test_unknown_defect_names_are_rejected_with_the_known_ones() -> None:
    with pytest.raises(UnknownDefectError, match="Unknown defect nope; known defects are: "):
        validate_defects(["nope", "session_fixation"])
    with pytest.raises(UnknownDefectError):
        create_app(SandboxConfig(defects=frozenset({"nope"})))
