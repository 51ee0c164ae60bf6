"""Password change by a signed-in user (docs/sandbox.md): the page's wording, the refusals,
and a success that ends every other session of the user while this browser stays signed in
under a new session id (ASVS 7.4.3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.test_sandbox import Client, Resp, Server, User, make_server, sms, smtp  # noqa: F401

NEW_PASSWORD = "a brand new password"
COOKIE = "authprobe_session"


@pytest.fixture
def sandbox(make_server: Callable[..., Server]) -> Server:  # noqa: F811
    return make_server()


def _alert(text: str) -> str:
    return f'<div role="alert">{text}</div>'


def _field(field_id: str, label: str, name: str, autocomplete: str) -> str:
    return (f'<label for="{field_id}">{label}</label>\n  <input id="{field_id}" name="{name}" '
            f'type="password" autocomplete="{autocomplete}" required>')


def _change(client: Client, current: str, new: str, confirm: str | None = None) -> Resp:
    return client.submit("/account/password", current_password=current, new_password=new,
                         new_password_confirm=new if confirm is None else confirm)


@pytest.mark.login
def test_change_page_wording_and_the_link_from_the_account_page(sandbox: Server) -> None:
    client = sandbox.signed_in(sandbox.user())
    assert '<a href="/account/password">Change password</a>' in client.get("/account").text
    page = client.get("/account/password")
    assert (page.status, page.page_id) == (200, "password-change")
    assert "<h1>Change your password</h1>" in page.text
    assert '<form method="post" action="/account/password">' in page.text
    assert _field("current-password", "Current password", "current_password",
                  "current-password") in page.text
    assert _field("new-password", "New password", "new_password", "new-password") in page.text
    assert _field("new-password-confirm", "Repeat new password", "new_password_confirm",
                  "new-password") in page.text
    assert '<button type="submit">Change password</button>' in page.text
    assert page.csrf


@pytest.mark.login
@pytest.mark.parametrize(("current", "new", "confirm", "alert"), [
    ("not my password", NEW_PASSWORD, NEW_PASSWORD, "Current password is wrong."),
    ("", NEW_PASSWORD, NEW_PASSWORD, "Current password is wrong."),
    (None, "1234567", "1234567", "Password must be at least 8 characters."),
    (None, NEW_PASSWORD, NEW_PASSWORD + "!", "The new passwords do not match."),
], ids=["wrong-current", "empty-current", "short", "mismatch"])
def test_refused_changes_keep_the_password(sandbox: Server, current: str | None, new: str,
                                           confirm: str, alert: str) -> None:
    user = sandbox.user()
    client = sandbox.signed_in(user)
    other = sandbox.signed_in(user)
    cookie = client.cookies[COOKIE]
    resp = _change(client, user.password if current is None else current, new, confirm)
    assert (resp.status, resp.page_id) == (400, "password-change")
    assert _alert(alert) in resp.text
    assert 'role="status"' not in resp.text
    assert client.cookies[COOKIE] == cookie
    assert client.session()["authenticated"] is True
    assert other.session()["authenticated"] is True
    assert sandbox.login(User(user.email, new))[1].status == 400
    assert sandbox.signed_in(user)


@pytest.mark.sessions
def test_change_replaces_the_password_ends_other_sessions_and_rotates_this_one(
    sandbox: Server,
) -> None:
    user = sandbox.user()
    client, other = sandbox.signed_in(user), sandbox.signed_in(user)
    old_cookie, old_csrf = client.cookies[COOKIE], client.get("/account/password").csrf
    resp = _change(client, user.password, NEW_PASSWORD)
    assert (resp.status, resp.page_id) == (200, "account")
    assert '<div role="status">Your password has been changed.</div>' in resp.text
    assert 'role="alert"' not in resp.text
    assert resp.testid("current-user") == user.email

    [set_cookie] = [c for c in client.last_set_cookie if c.startswith(f"{COOKIE}=")]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    assert client.cookies[COOKIE] != old_cookie and resp.csrf != old_csrf
    assert client.session()["user"] == {"email": user.email, "roles": ["member"],
                                        "signed_in_with": "password", "second_factor": None}
    assert client.get("/account/password").status == 200
    assert Client(sandbox.port, {COOKIE: old_cookie}).session()["authenticated"] is False
    assert other.session() == {"authenticated": False, "mfa_pending": False, "user": None,
                               "client_address": "127.0.0.1"}

    assert sandbox.login(user)[1].status == 400
    assert sandbox.signed_in(User(user.email, NEW_PASSWORD)).session()["authenticated"]
    # The rotated session keeps working for forms (its new CSRF token is on its pages).
    assert client.submit("/account", "/logout").location == "/login?signed_out=1"


@pytest.mark.sessions
def test_change_leaves_other_users_sessions_alone(sandbox: Server) -> None:
    user, bystander = sandbox.user(), sandbox.user()
    client, theirs = sandbox.signed_in(user), sandbox.signed_in(bystander)
    _change(client, user.password, NEW_PASSWORD)
    assert theirs.session()["user"]["email"] == bystander.email


@pytest.mark.mfa
def test_change_needs_sign_in_and_completed_mfa(sandbox: Server) -> None:
    anonymous = sandbox.client()
    assert anonymous.get("/account/password").location == "/login?next=/account/password"
    token = anonymous.get("/login").csrf
    resp = anonymous.request("POST", "/account/password", form={
        "csrf_token": token, "current_password": "x", "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD})
    assert (resp.status, resp.location) == (303, "/login?next=/account/password")

    user = sandbox.user(mfa=True)
    pending, _ = sandbox.login(user)
    assert pending.get("/account/password").location == "/login?next=/account/password"
    token = pending.get("/login/mfa").csrf
    resp = pending.request("POST", "/account/password", form={
        "csrf_token": token, "current_password": user.password, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD})
    assert (resp.status, resp.location) == (303, "/login?next=/account/password")
    assert sandbox.login(User(user.email, NEW_PASSWORD))[1].status == 400
    assert sandbox.login(user)[1].location == "/login/mfa"


@pytest.mark.hygiene
def test_change_needs_the_csrf_token_of_this_session(sandbox: Server) -> None:
    user = sandbox.user()
    client = sandbox.signed_in(user)
    fields = {"current_password": user.password, "new_password": NEW_PASSWORD,
              "new_password_confirm": NEW_PASSWORD}
    foreign = sandbox.signed_in(sandbox.user()).get("/account/password").csrf
    for token in ("", "forged", foreign):
        resp = client.request("POST", "/account/password", form={"csrf_token": token, **fields})
        assert (resp.status, resp.page_id) == (403, "forbidden"), token
    assert client.session()["authenticated"] is True
    assert sandbox.login(User(user.email, NEW_PASSWORD))[1].status == 400
    assert sandbox.signed_in(user)


@pytest.mark.login
@pytest.mark.parametrize("defects", [(), ("password_chars_stripped",)], ids=["clean", "stripped"])
def test_change_stores_the_new_password_as_sign_up_does(
    make_server: Callable[..., Server], defects: tuple[str, ...],  # noqa: F811
) -> None:
    sandbox = make_server(*defects)
    odd = ' <odd>&pass%+word '
    user = sandbox.user()
    assert _change(sandbox.signed_in(user), user.password, odd).status == 200
    typed = sandbox.login(User(user.email, odd))[1].location
    sanitized = sandbox.login(User(user.email, "oddpassword"))[1].location
    # The sign-up sanitizer defect (if on) alters a changed password the same way.
    assert (typed, sanitized) == (("", "/account") if defects else ("/account", ""))
