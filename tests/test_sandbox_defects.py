"""Every seeded defect changes something observable compared with the clean sandbox.

Each probe drives one small scenario and returns what a tester would see; the test runs it
against a clean and a defective app and asserts the two differ in the expected way.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
import pytest

from authprobe.sandbox import CATALOGUE
from tests.test_sandbox import HOOK_TOKEN, Client, Server, User, make_server, sms, smtp  # noqa: F401

Probe = Callable[[Server], Any]


def _authenticated(client: Client) -> bool:
    return bool(client.session()["authenticated"])


def client_only_logout(s: Server) -> Any:
    client = s.signed_in(s.user())
    old = dict(client.cookies)
    client.submit("/account", "/logout")
    return _authenticated(Client(s.port, old))


def ui_cached_identity(s: Server) -> Any:
    user = s.user()
    client = s.signed_in(user)
    s.hook("sessions/backdate", {"email": user.email, "idle_seconds": 99999})
    page = client.get(client.get("/account").location)
    return page.testid("current-user") == user.email, _authenticated(client)


def activation_not_required(s: Server) -> Any:
    return s.login(s.user(active=False))[1].location


def _activation_link(s: Server, client: Client) -> str:
    email = f"qa+act-{id(client)}@sandbox.test"
    client.submit("/signup", email=email, password="long enough")
    return s.mail_link(email, "/activate")


def activation_link_reusable(s: Server) -> Any:
    client = s.client()
    link = _activation_link(s, client)
    client.get(link)
    return client.get(link).status


def _reset(s: Server, user: User, password: str = "new password 1") -> tuple[Client, str]:
    s.request_reset(user.email)
    link = s.mail_link(user.email, "/reset/confirm")
    client = s.client()
    client.submit(link, "/reset/confirm", token=link.split("token=")[1], password=password)
    return client, link


def reset_link_reusable(s: Server) -> Any:
    client, link = _reset(s, s.user())
    return client.get(link).status


def reset_link_never_expires(s: Server) -> Any:
    user = s.user()
    s.request_reset(user.email)
    s.hook("tokens/backdate", {"email": user.email, "kind": "reset", "seconds": 3600})
    return s.client().get(s.mail_link(user.email, "/reset/confirm")).status


def reset_keeps_other_sessions(s: Server) -> Any:
    user = s.user()
    other = s.signed_in(user)
    _reset(s, user)
    return _authenticated(other)


def reset_breaks_for_second_role(s: Server) -> Any:
    user = s.user("editor")
    _reset(s, user, "editor new password")
    return s.login(user, password="editor new password")[1].location


def reset_skips_mfa(s: Server) -> Any:
    user = s.user(mfa=True)
    _reset(s, user, "mfa new password")
    return s.login(user, password="mfa new password")[1].location


def _change_password(client: Client, current: str, new: str = "changed password 1") -> int:
    return client.submit("/account/password", current_password=current, new_password=new,
                         new_password_confirm=new).status


def password_change_keeps_other_sessions(s: Server) -> Any:
    user = s.user()
    other, client = s.signed_in(user), s.signed_in(user)
    cookie = client.cookies["authprobe_session"]
    _change_password(client, user.password)
    rotated = client.cookies["authprobe_session"] != cookie
    return _authenticated(other), _authenticated(client), rotated, s.login(user)[1].location


def password_change_skips_current_password(s: Server) -> Any:
    user = s.user()
    status = _change_password(s.signed_in(user), "not the password")
    return status, s.login(user)[1].location, s.login(user, password="changed password 1")[1].location


def mfa_skippable_by_navigation(s: Server) -> Any:
    client, _ = s.login(s.user(mfa=True))
    return client.get("/account").status, client.session()["authenticated"]


def totp_replay_accepted(s: Server) -> Any:
    user = s.user(mfa=True)
    code = user.code()
    results = []
    for _ in range(2):
        client, _ = s.login(user)
        results.append(client.submit("/login/mfa", code=code).location)
    return results


def recovery_code_reusable(s: Server) -> Any:
    user = s.user(mfa=True)
    results = []
    for _ in range(2):
        client, _ = s.login(user)
        client.submit("/login/mfa", "/login/recovery", recovery_code=user.recovery_codes[0])
        results.append(_authenticated(client))
    return results


def role_downgrade_cached(s: Server) -> Any:
    user = s.user("editor")
    client = s.signed_in(user)
    s.admin("PUT", f"/api/admin/users/{user.email}/role", {"role": "member"})
    return client.get("/api/editor").status, client.session()["user"]["roles"]


def ui_hides_api_allows(s: Server) -> Any:
    client = s.signed_in(s.user())
    return client.get("/api/admin/users").status, client.get("/admin").status


def session_fixation(s: Server) -> Any:
    client = s.client()
    client.get("/login")
    planted = dict(client.cookies)
    s.login(s.user(), client)
    return _authenticated(Client(s.port, planted))


def cookie_missing_httponly(s: Server) -> Any:
    client = s.client()
    client.get("/login")
    return "HttpOnly" in " ".join(client.last_set_cookie)


def enumeration_in_reset(s: Server) -> Any:
    return "No account found" in s.request_reset("qa+ghost@sandbox.test").text


def password_chars_stripped(s: Server) -> Any:
    user = s.user(password=" <pass>&word%+ ")
    return s.login(user)[1].location


def absolute_timeout_not_enforced(s: Server) -> Any:
    user = s.user()
    client = s.signed_in(user)
    s.hook("sessions/backdate", {"email": user.email, "age_seconds": 28801})
    return _authenticated(client)


LOCKED = {"shapes": frozenset({"account_lockout"})}  # what sandbox.toml launches: accounts lock
GUESS, AFTER_RESET = secrets.token_urlsafe(12), secrets.token_urlsafe(12)


def _five_wrong(s: Server, email: str) -> None:
    for _ in range(5):  # each from a client of its own: a new session cookie every time
        s.client().submit("/login", email=email, password=GUESS)


def lockout_per_session(s: Server) -> Any:
    user = s.user()
    _five_wrong(s, user.email)
    return s.login(user)[1].status


def lockout_message_enumerates(s: Server) -> Any:
    stranger = f"qa+nobody-{time.monotonic_ns()}@sandbox.test"
    _five_wrong(s, stranger)
    return s.client().submit("/login", email=stranger, password=GUESS).status


def totp_guesses_unlimited(s: Server) -> Any:
    user = s.user(mfa=True)
    client, _ = s.login(user)
    for guess in range(5):
        client.submit("/login/mfa", code=f"{guess:06d}")
    assert user.totp_secret is not None
    return client.submit("/login/mfa", code=pyotp.TOTP(user.totp_secret).now()).status


def lockout_survives_reset(s: Server) -> Any:
    user = s.user()
    _five_wrong(s, user.email)
    _reset(s, user, AFTER_RESET)
    return s.login(user, password=AFTER_RESET)[1].status


def lockout_success_keeps_count(s: Server) -> Any:
    """Four typos, the right password, four more typos: the owner must still get in."""
    user = s.user()
    for _ in range(2):
        for _ in range(4):
            s.client().submit("/login", email=user.email, password=GUESS)
        status = s.login(user)[1].status
    return status


def reset_mail_unlimited(s: Server) -> Any:
    """Four reset requests for one address: how many mails it gets (the limit is 3)."""
    user = s.user()
    for _ in range(4):
        s.request_reset(user.email)
    return len(s.mail.to(user.email))


def signup_unlimited(s: Server) -> Any:
    """Four sign-ups from one address outside the exempt ones: the last one's status."""
    client = Client(s.port, source="127.77.0.21")
    statuses = [client.submit("/signup", email=f"qa+many-{n}@sandbox.test", password="long enough").status
                for n in range(4)]
    return statuses[-1]


def idle_timeout_not_enforced(s: Server) -> Any:
    user = s.user()
    client = s.signed_in(user)
    s.hook("sessions/backdate", {"email": user.email, "idle_seconds": 1801})
    return _authenticated(client)


def reauth_skips_mfa(s: Server) -> Any:
    user = s.user(mfa=True)
    client, _ = s.login(user)
    client.submit("/login/mfa", code=user.code())
    return s.login(user)[1].location


def concurrent_session_crosstalk(s: Server) -> Any:
    users = [s.user() for _ in range(4)]
    clients = [s.signed_in(u) for u in users]

    def header(pair: tuple[User, Client]) -> bool:
        return pair[1].get("/account").testid("current-user") == pair[0].email

    with ThreadPoolExecutor(8) as pool:
        return all(pool.map(header, list(zip(users, clients, strict=True)) * 4))


def shared_device_cache(s: Server) -> Any:
    return s.signed_in(s.user()).get("/account").headers["Cache-Control"]


def cors_reflects_origin(s: Server) -> Any:
    client = s.signed_in(s.user())
    origin = {"Origin": "https://elsewhere.example"}
    answer = client.request("GET", "/api/session", headers=origin)
    preflight = client.request("OPTIONS", "/api/session", headers={
        **origin, "Access-Control-Request-Method": "PUT"})
    return (answer.headers.get("Access-Control-Allow-Origin"),
            answer.headers.get("Access-Control-Allow-Credentials"), preflight.status)


def slow_role_lookup(s: Server) -> Any:
    client = s.signed_in(s.user())
    started = time.monotonic()
    client.get("/account")
    return time.monotonic() - started > 2.0


def session_read_per_widget(s: Server) -> Any:
    script = s.signed_in(s.user()).get("/static/account.js").text
    return script.count("readSession()"), "widgets.forEach((widget) => readSession()" in script


def signin_race(s: Server) -> Any:
    """20 users each sign in on two devices in quick succession: how many second ones lost?"""
    lost = 0
    for _ in range(20):
        user = s.user()
        s.signed_in(user)
        lost += not _authenticated(s.signed_in(user))
    return 0 < lost < 20


GRACE = {"grace_seconds": 300}


def retired_key_accepted_forever(s: Server) -> Any:
    client = s.signed_in(s.user())
    s.hook("keys/rotate", GRACE)
    s.hook("keys/retire", {})
    return _authenticated(client)


def rotation_drops_sessions_silently(s: Server) -> Any:
    """Inside the grace window: (the API says signed in, the page shows the user)."""
    user = s.user()
    client = s.signed_in(user)
    s.hook("keys/rotate", GRACE)
    return _authenticated(client), client.get("/account").testid("current-user") == user.email


def tokens_signed_with_retired_key(s: Server) -> Any:
    """A reset link mailed inside the grace window, opened after the old key retired."""
    user = s.user()
    s.hook("keys/rotate", GRACE)
    s.request_reset(user.email)
    link = s.mail_link(user.email, "/reset/confirm")
    s.hook("keys/retire", {})
    return s.client().get(link).status


OUTSIDE = "127.77.0.5"  # outside the sandbox's admin and hook networks


def admin_network_checked_at_signin_only(s: Server) -> Any:
    """A member signed in from outside the admin network is made an admin: /admin from there."""
    user = s.user()
    client, _ = s.login(user, Client(s.port, source=OUTSIDE))
    s.admin("PUT", f"/api/admin/users/{user.email}/role", {"role": "admin"})
    return client.get("/admin").status


def session_follows_cookie_anywhere(s: Server) -> Any:
    """An admin's session cookie, replayed from another address inside the admin network."""
    client = s.signed_in(s.user("admin"))
    return _authenticated(Client(s.port, dict(client.cookies), source="127.0.0.9"))


def forwarded_for_trusted_from_anyone(s: Server) -> Any:
    """An admin signing in from outside with X-Forwarded-For naming an inside address."""
    user, client = s.user("admin"), Client(s.port, source=OUTSIDE)
    token = client.get("/login").csrf
    return client.request("POST", "/login", headers={"X-Forwarded-For": "127.0.0.1"}, form={
        "csrf_token": token, "email": user.email, "password": user.password}).status


def signin_limit_shared_by_addresses(s: Server) -> Any:
    """Five wrong passwords from one address, then the right one from another."""
    user = s.user()
    for _ in range(5):
        s.login(user, Client(s.port, source="127.77.0.11"), password=user.password + " typo")
    return s.login(user, Client(s.port, source="127.77.0.12"))[1].status


def hooks_open_to_any_network(s: Server) -> Any:
    """The right hook token from outside the hook networks."""
    return Client(s.port, source=OUTSIDE).request("POST", "/__test__/keys/retire", body={},
                                                   headers={"X-Test-Hook-Token": HOOK_TOKEN}).status


def _sms_sign_in(s: Server, user: User, number: str) -> tuple[Client, str]:
    """The password step of a text-code user, and the code it texted."""
    client, resp = s.login(user)
    assert resp.location == "/login/mfa", resp.text
    return client, s.texted_code(number)


def sms_code_reusable(s: Server) -> Any:
    user, number = s.sms_user()
    client, code = _sms_sign_in(s, user, number)
    first = client.submit("/login/mfa", code=code).location
    client.submit("/account", "/logout")
    client, _ = _sms_sign_in(s, user, number)
    return [first, client.submit("/login/mfa", code=code).location]


def sms_code_never_expires(s: Server) -> Any:
    user, number = s.sms_user()
    client, code = _sms_sign_in(s, user, number)
    s.hook("tokens/backdate", {"email": user.email, "kind": "sms_code", "seconds": 3600})
    return client.submit("/login/mfa", code=code).location


def sms_resend_unlimited(s: Server) -> Any:
    user, number = s.sms_user()
    client, _ = _sms_sign_in(s, user, number)
    return [client.submit("/login/mfa", "/login/mfa/resend").status for _ in range(3)]


def sms_activation_code_unchecked(s: Server) -> Any:
    client, number = s.client(), s.phone.number()
    email = f"qa+sms-{id(client)}@sandbox.test"
    client.submit("/signup", email=email, password="long enough", phone=number)
    code = s.texted_code(number)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    return client.submit("/signup", "/activate/sms", email=email, code=wrong).status


# defect -> (what the clean app shows, what the defective app shows)
EXPECTED: dict[str, tuple[Any, Any]] = {
    "client_only_logout": (False, True),
    "ui_cached_identity": ((False, False), (True, False)),
    "activation_not_required": ("", "/account"),
    "activation_link_reusable": (400, 200),
    "reset_link_reusable": (400, 200),
    "reset_link_never_expires": (400, 200),
    "reset_keeps_other_sessions": (False, True),
    "reset_breaks_for_second_role": ("/account", ""),
    "reset_skips_mfa": ("/login/mfa", "/account"),
    "password_change_keeps_other_sessions": ((False, True, True, ""), (True, True, True, "")),
    "password_change_skips_current_password": ((400, "/account", ""), (200, "", "/account")),
    "mfa_skippable_by_navigation": ((303, False), (200, True)),
    "totp_replay_accepted": (["/account", ""], ["/account", "/account"]),
    "recovery_code_reusable": ([True, False], [True, True]),
    "role_downgrade_cached": ((403, ["member"]), (200, ["member", "editor"])),
    "ui_hides_api_allows": ((403, 403), (200, 403)),
    "session_fixation": (False, True),
    "cookie_missing_httponly": (True, False),
    "enumeration_in_reset": (False, True),
    "password_chars_stripped": ("/account", ""),
    "idle_timeout_not_enforced": (False, True),
    "lockout_per_session": (403, 303),
    "lockout_message_enumerates": (403, 400),
    "totp_guesses_unlimited": (403, 303),
    "lockout_survives_reset": (303, 403),
    "lockout_success_keeps_count": (303, 403),
    "reset_mail_unlimited": (3, 4),
    "signup_unlimited": (429, 200),
    "absolute_timeout_not_enforced": (False, True),
    "reauth_skips_mfa": ("/login/mfa", "/account"),
    "concurrent_session_crosstalk": (True, False),
    "shared_device_cache": ("no-store", "private, max-age=600"),
    "slow_role_lookup": (False, True),
    "signin_race": (False, True),
    "session_read_per_widget": ((2, False), (2, True)),
    "cors_reflects_origin": ((None, None, 405), ("https://elsewhere.example", "true", 204)),
    "retired_key_accepted_forever": (False, True),
    "rotation_drops_sessions_silently": ((True, True), (False, True)),
    "tokens_signed_with_retired_key": (200, 400),
    "admin_network_checked_at_signin_only": (303, 200),
    "session_follows_cookie_anywhere": (False, True),
    "forwarded_for_trusted_from_anyone": (403, 303),
    "signin_limit_shared_by_addresses": (303, 429),
    "hooks_open_to_any_network": (401, 200),
    "sms_code_reusable": (["/account", ""], ["/account", "/account"]),
    "sms_code_never_expires": ("", "/account"),
    "sms_resend_unlimited": ([200, 200, 429], [200, 200, 200]),
    "sms_activation_code_unchecked": (400, 200),
}
# the sso_* defects need the IdP: tests/test_sandbox_sso.py proves each against the clean app;
# the passkey_* ones an authenticator: tests/test_sandbox_passkeys.py
PROBED = sorted(name for name in CATALOGUE if not name.startswith(("sso_", "passkey_")))
PROBES: dict[str, Probe] = {name: globals()[name] for name in PROBED}


def test_every_defect_has_a_probe_and_a_description() -> None:
    assert set(EXPECTED) == set(PROBED)
    assert all(CATALOGUE.values())


@pytest.mark.parametrize("name", PROBED)
def test_defect_changes_observable_behaviour(
    name: str, make_server: Callable[..., Server],  # noqa: F811
) -> None:
    probe = PROBES[name]
    overrides = LOCKED if name.startswith("lockout_") else {}
    seen = probe(make_server(**overrides)), probe(make_server(name, **overrides))
    assert seen == EXPECTED[name], f"defect {name}: expected (clean, defective) " \
        f"{EXPECTED[name]!r}, saw {seen!r}"
