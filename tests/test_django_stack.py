"""The third built-in target, `python -m authprobe.sandbox.django_two_factor` (Django 5 with
django-registration, django-two-factor-auth and django.contrib.auth), over HTTP.

Its launch contract (ready line, secrets from the environment), the two-step activation as
django-registration 5 does it, the JSON session endpoints, the test hook, and that each
--misconfigure NAME visibly changes what the clean project does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import imap_tools
import pyotp
import pytest

from tests.test_sandbox import Client, Resp
from tests.test_sandbox_provisioning import ROOT, Running, _clean_env

MODULE = "authprobe.sandbox.django_two_factor"
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "admin@sandbox.test"
ADMIN_PASSWORD = "seeded admin password"
HOOK_TOKEN = "django-hook-token"
IMAP_PASSWORD = "django-imap-password"
MISCONFIGURATIONS = ["otp_unthrottled", "password_change_keeps_sessions", "revealing_reset",
                     "signed_cookie_sessions", "verification_optional"]


def _start(*args: str, test_mode: bool = True, **env: str) -> Running:
    argv = [sys.executable, "-m", MODULE, "--port", "0", "--smtp-port", "0", "--imap-port", "0"]
    proc = subprocess.Popen([*argv, *(["--test-mode"] if test_mode else []), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=_clean_env(SANDBOX_IMAP_PASSWORD=IMAP_PASSWORD, **env))
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the server prints it within a second or two
    if not line:
        proc.wait(5)
        pytest.fail(f"{MODULE} exited: {proc.stderr.read() if proc.stderr else ''}")
    return Running(proc, json.loads(line))


def _stopped(running: Running) -> None:
    if running.proc.poll() is None:
        status, printed = running.stop()
        assert status == 0, printed
        assert ADMIN_PASSWORD not in printed and HOOK_TOKEN not in printed


@pytest.fixture(scope="module")
def clean() -> Iterator[Running]:
    running = _start(SANDBOX_ADMIN_PASSWORD=ADMIN_PASSWORD, SANDBOX_HOOK_TOKEN=HOOK_TOKEN)
    yield running
    _stopped(running)


@pytest.fixture(scope="module")
def misconfigured() -> Iterator[Running]:
    """All five misconfigurations at once: each touches a different part of the project."""
    args = [arg for name in MISCONFIGURATIONS for arg in ("--misconfigure", name)]
    running = _start(*args, SANDBOX_HOOK_TOKEN=HOOK_TOKEN)
    yield running
    _stopped(running)


# --- helpers ------------------------------------------------------------------------------


def _email(tag: str) -> str:
    return f"qa+dj-{tag}-{uuid.uuid4().hex[:8]}@sandbox.test"


def _csrf(resp: Resp) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', resp.text)
    assert found, f"no CSRF token in the page (status {resp.status})"
    return found.group(1)


def _post(client: Client, page: str, action: str | None = None, **fields: str) -> Resp:
    """GET a page, then POST its form with Django's CSRF token."""
    token = _csrf(client.get(page))
    return client.request("POST", action or page, form={"csrfmiddlewaretoken": token, **fields})


def _errors(resp: Resp) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*" role="alert"[^>]*><li>(.*?)</li>', resp.text)


def _h1(resp: Resp) -> str:
    found = re.search(r"<h1>(.*?)</h1>", resp.text, re.S)
    return found.group(1).strip() if found else ""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_up(client: Client, email: str) -> Resp:
    return _post(client, "/account/register/", email=email, password1=PASSWORD, password2=PASSWORD)


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> Resp:
    """The two_factor login wizard's first step (email + password)."""
    return _post(client, "/account/login/", **{"login_view-current_step": "auth",
                                               "auth-username": email, "auth-password": password})


def _mails(running: Running, to: str) -> list[imap_tools.MailMessage]:
    ready = running.ready
    with imap_tools.MailBoxUnencrypted(ready["imap_host"], ready["imap_port"]).login(
            ready["imap_user"], IMAP_PASSWORD) as box:
        return [msg for msg in box.fetch(imap_tools.AND(all=True), mark_seen=False)
                if to in msg.to]


def _wait_mail(running: Running, to: str, timeout: float = 10.0) -> imap_tools.MailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := _mails(running, to):
            return found[-1]
        time.sleep(0.1)
    pytest.fail(f"no mail to {to} within {timeout} s")


def _active_user(running: Running, tag: str) -> tuple[Client, str]:
    """A signed-in member: sign-up, activation link, confirm, sign-in."""
    client, email = Client(running.port), _email(tag)
    assert _sign_up(client, email).status == 302
    link = re.search(r"https?://\S+", _wait_mail(running, email).text)
    assert link
    assert _post(client, _path(link.group(0)), "/account/activate/",
                 activation_key=link.group(0).split("activation_key=")[1]).status == 302
    assert _sign_in(client, email).status == 302
    return client, email


# --- the launch contract ------------------------------------------------------------------


def test_ready_line_has_the_launch_contract_fields(clean: Running, misconfigured: Running) -> None:
    ready = clean.ready
    assert ready["ready"] is True and ready["test_mode"] is True and ready["defects"] == []
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", ready["base_url"])
    assert ready["admin_email"] == ADMIN_EMAIL
    assert ready["imap_user"] == ready["mail_address"] == "qa@sandbox.test"
    assert {"smtp_port", "imap_host", "imap_port"} <= set(ready)
    assert misconfigured.ready["defects"] == MISCONFIGURATIONS
    assert "admin_email" not in misconfigured.ready


def test_unknown_misconfiguration_and_bad_admin_seed_exit_2_in_one_sentence() -> None:
    argv = [sys.executable, "-m", MODULE, "--port", "0", "--smtp-port", "0", "--imap-port", "0"]
    unknown = subprocess.run([*argv, "--test-mode", "--misconfigure", "nope"], capture_output=True,
                             text=True, timeout=30, cwd=ROOT, env=_clean_env())
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "Unknown misconfiguration nope" in unknown.stderr and unknown.stderr.count("\n") == 1
    seeded = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT,
                            env=_clean_env(SANDBOX_ADMIN_PASSWORD=ADMIN_PASSWORD))
    assert seeded.returncode == 2 and "only with --test-mode" in seeded.stderr


def test_without_test_mode_there_is_no_hook() -> None:
    running = _start(test_mode=False, SANDBOX_HOOK_TOKEN=HOOK_TOKEN)
    try:
        assert running.ready["test_mode"] is False
        resp = Client(running.port).request("POST", "/__test__/sessions/backdate",
                                            body={"email": "x@sandbox.test", "idle_seconds": 1},
                                            headers={"X-Test-Hook-Token": HOOK_TOKEN})
        assert resp.status == 404
    finally:
        _stopped(running)


# --- sign-up and activation ---------------------------------------------------------------


@pytest.mark.signup
def test_signup_mails_a_link_whose_get_only_shows_the_confirm_form(clean: Running) -> None:
    client, email = Client(clean.port), _email("signup")
    page = client.get("/account/register/")
    assert _h1(page) == "Create an account"
    assert re.findall(r'<label for="id_(\w+)"', page.text) == ["email", "password1", "password2"]
    done = _sign_up(client, email)
    assert done.status == 302 and done.location == "/account/register/complete/"
    assert _h1(client.get(done.location)) == "Check your email"

    mail = _wait_mail(clean, email)
    assert mail.subject == "Activate your account"
    link = re.search(r"http://127\.0\.0\.1:\d+/account/activate/\?activation_key=[\w:\-]+", mail.text)
    assert link, mail.text
    confirm = client.get(_path(link.group(0)))
    assert confirm.status == 200 and _h1(confirm) == "Activate your account"
    assert ">Confirm</button>" in confirm.text
    # The GET activated nothing: the password is refused like a wrong one.
    refused = _sign_in(Client(clean.port), email)
    assert refused.status == 200 and _errors(refused) == [
        "Please enter a correct email address and password. Note that both fields may be "
        "case-sensitive."]

    key = link.group(0).split("activation_key=")[1]
    activated = client.request("POST", "/account/activate/",
                               form={"csrfmiddlewaretoken": _csrf(confirm), "activation_key": key})
    assert activated.status == 302 and activated.location == "/account/activate/complete/"
    assert _h1(client.get(activated.location)) == "Account activated"
    again = _post(client, _path(link.group(0)), "/account/activate/", activation_key=key)
    assert "The account you tried to activate has already been activated." in again.text

    member = Client(clean.port)
    signed_in = _sign_in(member, email)
    assert signed_in.status == 302 and signed_in.location == "/account"
    assert member.get("/api/me").json() == {"email": email, "groups": [{"name": "member"}]}


@pytest.mark.signup
def test_verification_optional_signs_up_active_and_signed_in_without_mail(
        clean: Running, misconfigured: Running) -> None:
    email = _email("onestep")
    client = Client(misconfigured.port)
    done = _sign_up(client, email)
    assert done.status == 302 and _h1(client.get(done.location)) == "Account created"
    assert client.get("/api/me").json() == {"email": email, "groups": [{"name": "member"}]}
    assert client.get("/account/activate/").status == 404
    # The clean project: the same sign-up leaves the visitor anonymous until activation.
    plain = Client(clean.port)
    _sign_up(plain, email)
    assert plain.get("/api/me").status == 401
    time.sleep(0.5)  # the clean project's mail has arrived by now; the one-step one sent none
    assert [m.subject for m in _mails(misconfigured, email)] == []


# --- sessions -------------------------------------------------------------------------------


@pytest.mark.sessions
def test_auth_status_and_me_shapes_with_a_pending_second_factor(clean: Running) -> None:
    anonymous = Client(clean.port).get("/api/auth/status")
    assert anonymous.status == 401
    assert anonymous.json() == {"detail": "not signed in", "pending": []}
    assert Client(clean.port).get("/api/me").json() == {"detail": "not signed in"}

    client, email = _active_user(clean, "mfa")
    assert client.get("/api/auth/status").json() == {"email": email, "pending": []}
    welcome = client.get("/account/two_factor/setup/")
    step = client.request("POST", "/account/two_factor/setup/", form={
        "csrfmiddlewaretoken": _csrf(welcome), "setup_view-current_step": "welcome"})
    secret = re.search(r'TOTP Secret: <a href="otpauth://totp/[^"]+">([A-Z2-7]+)</a>', step.text)
    assert secret and '<img src="/account/two_factor/qrcode/" alt="QR Code"' in step.text
    totp = pyotp.TOTP(secret.group(1))
    enabled = client.request("POST", "/account/two_factor/setup/", form={
        "csrfmiddlewaretoken": _csrf(step), "setup_view-current_step": "generator",
        "generator-token": totp.now()})
    assert enabled.status == 302 and enabled.location == "/account/two_factor/setup/complete/"

    second = Client(clean.port)
    token_step = _sign_in(second, email)
    assert token_step.status == 200 and 'name="token-otp_token"' in token_step.text
    pending = second.get("/api/auth/status")
    assert pending.status == 401
    assert pending.json() == {"detail": "not signed in",
                              "pending": [{"type": "otp_token", "step": "token"}]}
    assert second.get("/api/me").status == 401
    code = totp.now()  # django-otp: 30 s steps, 6 digits, one step of tolerance either side
    done = second.request("POST", "/account/login/", form={
        "csrfmiddlewaretoken": _csrf(token_step), "login_view-current_step": "token",
        "token-otp_token": code})
    assert done.status == 302 and done.location == "/account"
    assert second.get("/api/auth/status").json() == {"email": email, "pending": []}


@pytest.mark.sessions
def test_hook_refuses_a_wrong_token_and_backdating_ends_the_idle_session(clean: Running) -> None:
    client, email = _active_user(clean, "hook")
    hook = Client(clean.port)
    body = {"email": email, "idle_seconds": 1801, "age_seconds": 0}
    for headers in ({}, {"X-Test-Hook-Token": "wrong"}):
        refused = hook.request("POST", "/__test__/sessions/backdate", body=body, headers=headers)
        assert refused.status == 403 and refused.json() == {"detail": "forbidden"}
    assert client.get("/api/me").status == 200
    done = hook.request("POST", "/__test__/sessions/backdate", body=body,
                        headers={"X-Test-Hook-Token": HOOK_TOKEN})
    assert done.status == 200 and done.json() == {"sessions": 1}
    assert client.get("/api/me").status == 401
    page = client.get("/member")
    assert page.status == 302 and page.location == "/account/login/?next=/member"


@pytest.mark.sessions
@pytest.mark.parametrize("which", ["clean", "misconfigured"])
def test_signed_cookie_sessions_let_a_copied_cookie_outlive_logout(
        which: str, request: pytest.FixtureRequest) -> None:
    running: Running = request.getfixturevalue(which)
    if which == "clean":
        client, _ = _active_user(running, "cookie")
    else:
        client = Client(running.port)
        _sign_up(client, _email("cookie"))  # one-step: signed in at once
    copied = dict(client.cookies)
    logout = _post(client, "/account", "/account/logout/")
    assert logout.status == 200 and _h1(logout) == "Signed out"
    assert "sessionid" not in client.cookies
    assert client.get("/api/me").status == 401
    replayed = Client(running.port, cookies=copied).get("/api/me").status
    assert replayed == (401 if which == "clean" else 200)


@pytest.mark.password
@pytest.mark.parametrize("which", ["clean", "misconfigured"])
def test_password_change_ends_other_sessions_unless_misconfigured(
        which: str, request: pytest.FixtureRequest) -> None:
    running: Running = request.getfixturevalue(which)
    if which == "clean":
        changer, email = _active_user(running, "change")
    else:
        changer, email = Client(running.port), _email("change")
        _sign_up(changer, email)
    other = Client(running.port)
    assert _sign_in(other, email).status == 302
    changed = _post(changer, "/account/password_change/", old_password=PASSWORD,
                    new_password1="another horse battery", new_password2="another horse battery")
    assert changed.status == 302 and changed.location == "/account/password_change/done/"
    assert changer.get("/api/me").status == 200  # this browser stays signed in
    assert other.get("/api/me").status == (401 if which == "clean" else 200)


# --- reset ----------------------------------------------------------------------------------


@pytest.mark.reset
def test_reset_answers_alike_for_unknown_addresses_unless_revealing(
        clean: Running, misconfigured: Running) -> None:
    _, email = _active_user(clean, "reset")
    for address in (email, _email("nobody")):
        resp = _post(Client(clean.port), "/account/password_reset/", email=address)
        assert resp.status == 302 and resp.location == "/account/password_reset/done/"
    mail = _wait_mail(clean, email)
    assert mail.subject == "Reset your password"
    assert re.search(r"http://127\.0\.0\.1:\d+/account/reset/\w+/[\w-]+/", mail.text), mail.text

    revealed = _post(Client(misconfigured.port), "/account/password_reset/", email=_email("nobody"))
    assert revealed.status == 200
    assert _errors(revealed) == ["There is no account with that email address."]


# --- roles and the Django admin ------------------------------------------------------------


@pytest.mark.roles
def test_admin_creates_an_editor_in_django_admin_and_roles_gate_pages_and_apis(clean: Running) -> None:
    admin = Client(clean.port)
    assert _sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD).status == 302
    add = admin.get("/django-admin/accounts/user/add/")
    assert _h1(add) == "Add user"
    group = re.search(r'<option value="(\d+)">editor</option>', add.text)
    assert group
    email = _email("editor")
    created = admin.request("POST", "/django-admin/accounts/user/add/", form={
        "csrfmiddlewaretoken": _csrf(add), "email": email, "usable_password": "true",
        "password1": PASSWORD, "password2": PASSWORD, "is_active": "on",
        "groups": group.group(1), "_save": "Save"})
    assert created.status == 302 and re.fullmatch(r"/django-admin/accounts/user/\d+/change/",
                                                  created.location)

    editor = Client(clean.port)
    assert _sign_in(editor, email).status == 302
    expected = {"/member": 200, "/editor": 200, "/staff": 403, "/api/member": 200,
                "/api/editor": 200, "/api/admin/users": 403}
    assert {path: editor.get(path).status for path in expected} == expected
    assert ">Editor area</a>" in editor.get("/account").text
    assert ">Admin</a>" not in editor.get("/account").text
    listed = admin.get("/api/admin/users").json()["users"]
    assert {"email": email, "roles": ["editor"]} in listed
    assert {"email": ADMIN_EMAIL, "roles": ["admin"]} in listed

    member, _ = _active_user(clean, "member")
    assert ">Editor area</a>" in member.get("/account").text  # shown to all, by design
    assert member.get("/editor").status == 403 and member.get("/api/editor").status == 403
    anonymous = Client(clean.port)
    assert anonymous.get("/api/member").json() == {"detail": "not signed in"}
    assert anonymous.get("/editor").location == "/account/login/?next=/editor"
