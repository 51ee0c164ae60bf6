"""Provisioning without the bearer-token admin API (docs/sandbox.md): the admin screen's
create/deactivate/delete forms, self-service account deletion, the seeded test-mode admin,
and the `python -m authprobe.sandbox.admin` command, also against a running `python -m sandbox`.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from authprobe.sandbox.db import make_engine
from tests.test_sandbox import PASSWORD, Client, Server, User, make_server, sms, smtp  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "boss@sandbox.test"
ADMIN_PASSWORD = "seeded-admin-password-4711"
NEW_PASSWORD = "command-line-password-0815"
_counter = iter(range(10**9))


def _email(tag: str) -> str:
    return f"qa+{tag}{next(_counter)}@sandbox.test"


@pytest.fixture
def server(make_server: Callable[..., Server], tmp_path: Path) -> Server:  # noqa: F811
    return make_server(db_path=str(tmp_path / "app.sqlite3"))


def _db_count(db_path: str, sql: str, *params: object) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def _listed(server: Server) -> dict[str, dict[str, Any]]:
    users = server.admin("GET", "/api/admin/users").json()["users"]
    return {u["email"]: u for u in users}


def _alert(text: str) -> str:
    return f'<div role="alert">{text}</div>'


def _status(text: str) -> str:
    return f'<div role="status">{text}</div>'


# --- admin screen -----------------------------------------------------------------------


@pytest.mark.roles
def test_admin_screen_create_form_has_the_contract_wording(server: Server) -> None:
    page = server.signed_in(server.user("admin")).get("/admin")
    assert page.status == 200 and "<h2>Create user</h2>" in page.text
    assert page.text.index("<h2>Create user</h2>") < page.text.index("<table>")
    for label, attrs in [("New user email", 'name="email" type="email"'),
                         ("New user password", 'name="password" type="password"')]:
        found = f'<label for="(?P<id>[^"]+)">{label}</label>\\s*<input id="(?P=id)" {attrs}'
        assert re.search(found, page.text), label
    assert '<label for="new-user-role">New user role</label>' in page.text
    assert '<select id="new-user-role" name="role">' in page.text
    for role in ("member", "editor", "admin"):
        assert f'<option value="{role}"' in page.text
    assert ('<input id="new-user-active" name="active" type="checkbox" value="yes" checked>'
            in page.text)
    assert '<label for="new-user-active">Active (email already verified)</label>' in page.text
    assert '<form method="post" action="/admin/users">' in page.text
    assert '<button type="submit">Create user</button>' in page.text


@pytest.mark.roles
def test_admin_creates_active_and_inactive_users_through_the_form(server: Server) -> None:
    admin = server.signed_in(server.user("admin"))
    email = _email("screen")
    created = admin.submit("/admin", "/admin/users", email=email.upper(), password=PASSWORD,
                           role="editor", active="yes")
    assert created.status == 200 and _status(f"User {email} created.") in created.text
    assert f"Role for {email}</label>" in created.text
    signed_in = server.signed_in(User(email, PASSWORD))
    assert signed_in.session()["user"] == {"email": email, "roles": ["member", "editor"],
                                        "signed_in_with": "password", "second_factor": None}

    inactive = _email("screen-inactive")  # an unticked checkbox is not posted at all
    resp = admin.submit("/admin", "/admin/users", email=inactive, password=PASSWORD, role="member")
    assert _status(f"User {inactive} created.") in resp.text
    _, refused = server.login(User(inactive, PASSWORD))
    assert refused.status == 400 and "not activated yet" in refused.text
    assert _listed(server)[inactive] == {"email": inactive, "role": "member", "active": False,
                                         "mfa": False}


@pytest.mark.roles
@pytest.mark.parametrize(("fields", "status", "alert"), [
    ({"email": "not-an-email", "password": PASSWORD, "role": "member"}, 400,
     "Enter a valid email address."),
    ({"email": "NEW", "password": "1234567", "role": "member"}, 400,
     "Password must be at least 8 characters."),
    ({"email": "NEW", "password": PASSWORD, "role": "owner"}, 400, "Unknown role."),
    ({"email": "EXISTING", "password": "another password", "role": "admin"}, 409,
     "User EXISTING already exists."),
])
def test_admin_create_form_errors(server: Server, fields: dict[str, str], status: int,
                                  alert: str) -> None:
    existing, new = server.user(), _email("bad")
    values = {k: v.replace("EXISTING", existing.email).replace("NEW", new)
              for k, v in fields.items()}
    admin = server.signed_in(server.user("admin"))
    resp = admin.submit("/admin", "/admin/users", active="yes", **values)
    assert resp.status == status and resp.page_id == "admin"
    assert _alert(alert.replace("EXISTING", existing.email)) in resp.text
    assert values["password"] not in resp.text, "the password was echoed back"
    listed = _listed(server)
    assert new not in listed
    assert listed[existing.email]["role"] == "member"  # the existing account is untouched
    assert server.signed_in(existing)


@pytest.mark.roles
def test_admin_create_form_uses_the_apps_own_create_path(
        make_server: Callable[..., Server], tmp_path: Path) -> None:  # noqa: F811
    """Like the admin API, the form stores what sign-up stores (here: the seeded defect)."""
    server = make_server("password_chars_stripped", db_path=str(tmp_path / "app.sqlite3"))
    admin = server.signed_in(server.user("admin"))
    odd, email = "pass<word>+100%", _email("stripped")
    admin.submit("/admin", "/admin/users", email=email, password=odd, role="member", active="y")
    assert server.login(User(email, odd))[1].status == 400
    assert server.signed_in(User(email, "password100"))


@pytest.mark.sessions
def test_admin_deactivates_a_user_and_ends_all_their_sessions(server: Server) -> None:
    victim = server.user()
    devices = [server.signed_in(victim), server.signed_in(victim)]
    admin = server.signed_in(server.user("admin"))
    page = admin.get("/admin")
    assert f"<button type=\"submit\">Deactivate {victim.email}</button>" in page.text
    resp = admin.submit("/admin", "/admin/deactivate", email=victim.email)
    assert resp.status == 200 and _status(f"User {victim.email} deactivated.") in resp.text
    assert [d.session()["authenticated"] for d in devices] == [False, False]
    assert _db_count(server.config.db_path or "", "SELECT count(*) FROM sessions s JOIN users u "
                     "ON s.user_id = u.id WHERE u.email = ?", victim.email) == 0
    _, refused = server.login(victim)
    assert refused.status == 400 and "not activated yet" in refused.text
    assert _listed(server)[victim.email]["active"] is False
    assert admin.session()["authenticated"] is True  # the admin's own session is untouched


@pytest.mark.sessions
def test_admin_deletes_a_user_with_sessions_tokens_and_recovery_codes(server: Server) -> None:
    victim = server.user(mfa=True)
    device, _ = server.login(victim)
    device.submit("/login/mfa", code=victim.code())
    assert device.session()["authenticated"] is True
    server.request_reset(victim.email)  # leaves a reset token row
    db = server.config.db_path or ""
    user_id = _db_count(db, "SELECT id FROM users WHERE email = ?", victim.email)
    counts = "SELECT (SELECT count(*) FROM sessions WHERE user_id = ?1) + " \
             "(SELECT count(*) FROM tokens WHERE user_id = ?1) + " \
             "(SELECT count(*) FROM recovery_codes WHERE user_id = ?1)"
    assert _db_count(db, counts, user_id) == 1 + 1 + 10

    admin = server.signed_in(server.user("admin"))
    assert f'<button type="submit">Delete {victim.email}</button>' in admin.get("/admin").text
    resp = admin.submit("/admin", "/admin/delete", email=victim.email)
    assert resp.status == 200 and _status(f"User {victim.email} deleted.") in resp.text
    assert f"Delete {victim.email}<" not in resp.text
    assert device.session()["authenticated"] is False
    assert _db_count(db, counts, user_id) == 0
    assert victim.email not in _listed(server)
    assert server.login(victim)[1].status == 400


@pytest.mark.roles
@pytest.mark.parametrize("action", ["/admin/deactivate", "/admin/delete"])
def test_admin_remove_of_an_unknown_user_is_a_404_alert(server: Server, action: str) -> None:
    admin = server.signed_in(server.user("admin"))
    resp = admin.submit("/admin", action, email="qa+nobody@sandbox.test")
    assert resp.status == 404 and _alert("Unknown user.") in resp.text


@pytest.mark.roles
def test_admin_removing_its_own_account_is_signed_out(server: Server) -> None:
    me = server.user("admin")
    admin = server.signed_in(me)
    resp = admin.submit("/admin", "/admin/delete", email=me.email)
    assert resp.status == 303 and resp.location == "/login?signed_out=1"
    assert admin.session()["authenticated"] is False
    assert me.email not in _listed(server)


@pytest.mark.roles
@pytest.mark.parametrize("role", ["member", "editor"])
def test_non_admins_are_refused_by_every_admin_form(server: Server, role: str) -> None:
    target = server.user()
    client = server.signed_in(server.user(role))
    token = client.get("/account").csrf
    new = _email("refused")
    posts = [("/admin/users", {"email": new, "password": PASSWORD, "role": "admin",
                               "active": "yes"}),
             ("/admin/deactivate", {"email": target.email}),
             ("/admin/delete", {"email": target.email})]
    for action, fields in posts:
        resp = client.request("POST", action, form={"csrf_token": token, **fields})
        assert resp.status == 403 and "<h1>Forbidden</h1>" in resp.text, action
    anonymous = server.client()
    anonymous_token = anonymous.get("/login").csrf
    resp = anonymous.request("POST", "/admin/delete",
                             form={"csrf_token": anonymous_token, "email": target.email})
    assert resp.status == 303 and resp.location.startswith("/login?next=")
    listed = _listed(server)
    assert new not in listed and listed[target.email]["active"] is True


@pytest.mark.hygiene
def test_admin_forms_need_the_csrf_token(server: Server) -> None:
    target = server.user()
    admin = server.signed_in(server.user("admin"))
    admin.get("/admin")
    new = _email("csrf")
    for action, fields in [("/admin/users", {"email": new, "password": PASSWORD,
                                             "role": "member", "active": "yes"}),
                           ("/admin/deactivate", {"email": target.email}),
                           ("/admin/delete", {"email": target.email})]:
        resp = admin.request("POST", action, form={"csrf_token": "forged", **fields})
        assert resp.status == 403, action
    listed = _listed(server)
    assert new not in listed and listed[target.email]["active"] is True


# --- self-service deletion --------------------------------------------------------------


@pytest.mark.signup
def test_account_deletion_page_and_wrong_password_keeps_the_account(server: Server) -> None:
    user = server.user()
    client = server.signed_in(user)
    assert '<a href="/account/delete">Delete account</a>' in client.get("/account").text
    page = client.get("/account/delete")
    assert (page.status, page.page_id) == (200, "account-delete")
    assert "<h1>Delete your account</h1>" in page.text
    assert ('<label for="current-password">Current password</label>\n  <input '
            'id="current-password" name="password" type="password"') in page.text
    assert '<button type="submit">Delete my account</button>' in page.text

    wrong = client.submit("/account/delete", password="not my password")
    assert (wrong.status, wrong.page_id) == (400, "account-delete")
    assert _alert("Wrong password.") in wrong.text
    assert client.session()["authenticated"] is True
    assert user.email in _listed(server)
    assert server.signed_in(user)


@pytest.mark.signup
def test_account_deletion_removes_the_user_and_every_session(server: Server) -> None:
    user = server.user()
    client, other_device = server.signed_in(user), server.signed_in(user)
    old_cookies = dict(client.cookies)
    resp = client.submit("/account/delete", password=user.password)
    assert (resp.status, resp.page_id) == (200, "account-deleted")
    assert "<h1>Account deleted</h1>" in resp.text
    assert _status("Your account has been deleted.") in resp.text
    assert 'data-testid="current-user"' not in resp.text
    [cleared] = [c for c in client.last_set_cookie if c.startswith("authprobe_session=")]
    assert "authprobe_session" not in client.cookies, cleared
    assert client.session() == {"authenticated": False, "mfa_pending": False, "user": None,
                               "client_address": "127.0.0.1"}
    assert Client(server.port, old_cookies).session()["authenticated"] is False
    assert other_device.session()["authenticated"] is False
    assert user.email not in _listed(server)
    assert server.login(user)[1].status == 400


@pytest.mark.mfa
def test_account_deletion_needs_sign_in_and_completed_mfa(server: Server) -> None:
    assert server.client().get("/account/delete").location == "/login?next=/account/delete"
    user = server.user(mfa=True)
    pending, _ = server.login(user)
    assert pending.get("/account/delete").location == "/login?next=/account/delete"
    token = pending.get("/login/mfa").csrf
    resp = pending.request("POST", "/account/delete",
                           form={"csrf_token": token, "password": user.password})
    assert resp.status == 303 and resp.location.startswith("/login?next=")
    assert user.email in _listed(server)


# --- the running server: ready line, seeded admin, temp database ------------------------


@dataclass
class Running:
    proc: subprocess.Popen[str]
    ready: dict[str, Any]

    @property
    def port(self) -> int:
        return int(str(self.ready["base_url"]).rsplit(":", 1)[1])

    @property
    def db(self) -> str:
        return str(self.ready["command_env"]["SANDBOX_DB"])

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit status and everything printed."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, out + err


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    return {**env, **extra}


def _start(*args: str, **env: str) -> Running:
    proc = subprocess.Popen(
        [sys.executable, "-m", "authprobe.sandbox", "--test-mode", "--port", "0", "--smtp-port", "0",
         "--imap-port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env=_clean_env(**env),
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(20):
            proc.kill()
            pytest.fail("no ready line within 20 s")
    line = proc.stdout.readline()
    if not line:
        proc.wait(5)
        pytest.fail(f"the sandbox exited: {proc.stderr.read() if proc.stderr else ''}")
    return Running(proc, json.loads(line))


@pytest.fixture(scope="module")
def live() -> Iterator[Running]:
    """One `python -m sandbox` with a seeded admin, shared by the tests that leave it running."""
    running = _start(SANDBOX_ADMIN_PASSWORD=ADMIN_PASSWORD, SANDBOX_ADMIN_EMAIL=ADMIN_EMAIL)
    yield running
    if running.proc.poll() is None:
        status, printed = running.stop()
        assert status == 0
        assert ADMIN_PASSWORD not in printed, "the seeded admin's password was printed"


def test_ready_line_names_the_seeded_admin_and_the_command_env(live: Running) -> None:
    assert live.ready["ready"] is True and live.ready["admin_email"] == ADMIN_EMAIL
    assert live.ready["command_env"] == {"SANDBOX_DB": live.db, "SANDBOX_HASH_PROFILE": "fast"}
    assert os.path.isabs(live.db) and os.path.isfile(live.db)
    assert ADMIN_PASSWORD not in json.dumps(live.ready)


@pytest.mark.roles
def test_seeded_admin_signs_in_and_reaches_the_admin_screen(live: Running) -> None:
    client = Client(live.port)
    resp = client.submit("/login", email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    assert resp.status == 303 and resp.location == "/account", resp.text
    assert client.session()["user"] == {"email": ADMIN_EMAIL, "roles": ["member", "editor", "admin"],
                                        "signed_in_with": "password", "second_factor": None}
    assert client.get("/admin").status == 200
    wrong = Client(live.port).submit("/login", email=ADMIN_EMAIL, password="not the password")
    assert wrong.status == 400


def test_temp_db_is_removed_when_the_server_stops_and_no_admin_is_seeded() -> None:
    running = _start()
    assert "admin_email" not in running.ready
    assert running.ready["command_env"]["SANDBOX_HASH_PROFILE"] == "fast"
    db = running.db
    Client(running.port).get("/login")  # a write, so the WAL files exist
    assert os.path.isfile(db) and os.path.exists(f"{db}-wal")
    assert _admin("list", SANDBOX_DB=db).stdout == ""
    status, _ = running.stop()
    assert status == 0
    assert [p for p in (db, f"{db}-wal", f"{db}-shm") if os.path.exists(p)] == []


def test_given_db_is_kept_and_the_admin_is_seeded_once(tmp_path: Path) -> None:
    db = tmp_path / "kept.sqlite3"
    env = {"SANDBOX_ADMIN_PASSWORD": ADMIN_PASSWORD}
    for _ in range(2):  # the second start finds the admin already there
        running = _start("--db", str(db), **env)
        assert running.ready["command_env"]["SANDBOX_DB"] == str(db)
        assert running.ready["admin_email"] == "admin@sandbox.test"
        status, printed = running.stop()
        assert status == 0 and ADMIN_PASSWORD not in printed
        assert db.is_file()
    assert _admin("list", "--db", str(db)).stdout.splitlines() == [json.dumps(
        {"email": "admin@sandbox.test", "role": "admin", "active": True, "mfa": False})]


@pytest.mark.parametrize(("test_mode", "env", "message"), [
    (True, {"SANDBOX_ADMIN_PASSWORD": "short"}, "SANDBOX_ADMIN_PASSWORD must be at least 8"),
    (True, {"SANDBOX_ADMIN_PASSWORD": ADMIN_PASSWORD, "SANDBOX_ADMIN_EMAIL": "nope"},
     "SANDBOX_ADMIN_EMAIL is not a valid email address"),
    (False, {"SANDBOX_ADMIN_PASSWORD": ADMIN_PASSWORD}, "only with --test-mode"),
])
def test_bad_admin_seed_settings_stop_the_start_in_one_sentence(
        test_mode: bool, env: dict[str, str], message: str) -> None:
    argv = [sys.executable, "-m", "authprobe.sandbox", "--port", "0", "--smtp-port", "0", "--imap-port", "0"]
    argv += ["--test-mode"] if test_mode else []
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT,
                            env=_clean_env(**env))
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert env["SANDBOX_ADMIN_PASSWORD"] not in result.stderr


# --- python -m authprobe.sandbox.admin ------------------------------------------------------------


def _admin(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "authprobe.sandbox.admin", *args]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=_clean_env(**env))
    for secret in (NEW_PASSWORD, ADMIN_PASSWORD):
        assert secret not in " ".join(argv), "a password was put on the command line"
        assert secret not in result.stdout + result.stderr, "a password was printed"
    return result


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.sqlite3")
    make_engine(path).dispose()
    return path


def _users(db: str) -> dict[str, dict[str, Any]]:
    lines = _admin("list", SANDBOX_DB=db).stdout.splitlines()
    return {u["email"]: u for u in map(json.loads, lines)}


def test_command_creates_users_that_sign_in_on_the_running_server(live: Running) -> None:
    env = {**live.ready["command_env"], "SANDBOX_NEW_PASSWORD": NEW_PASSWORD}
    editor, inactive = _email("cli-editor"), _email("cli-inactive")
    created = _admin("create", editor, "--role", "editor", **env)
    assert (created.returncode, created.stdout) == (0, f"User {editor} created.\n")
    assert _admin("create", inactive, "--inactive", **env).returncode == 0

    client = Client(live.port)
    resp = client.submit("/login", email=editor, password=NEW_PASSWORD)
    assert resp.location == "/account", resp.text
    assert client.session()["user"]["roles"] == ["member", "editor"]
    refused = Client(live.port).submit("/login", email=inactive, password=NEW_PASSWORD)
    assert refused.status == 400 and "not activated yet" in refused.text

    listed = _users(live.db)
    assert listed[editor] == {"email": editor, "role": "editor", "active": True, "mfa": False}
    assert listed[inactive] == {"email": inactive, "role": "member", "active": False,
                                "mfa": False}
    again = _admin("create", editor, "--role", "admin", **env)
    assert again.returncode == 4 and again.stderr == f"User {editor} already exists.\n"
    assert _users(live.db)[editor]["role"] == "editor"


def test_command_set_role_deactivate_delete_on_the_running_server(live: Running) -> None:
    env = dict(live.ready["command_env"])
    first, second = _email("cli-role"), _email("cli-delete")
    for email in (first, second):
        assert _admin("create", email, SANDBOX_NEW_PASSWORD=NEW_PASSWORD, **env).returncode == 0
    client, other = Client(live.port), Client(live.port)
    client.submit("/login", email=first, password=NEW_PASSWORD)
    other.submit("/login", email=second, password=NEW_PASSWORD)
    assert client.get("/admin").status == 403

    promoted = _admin("set-role", first, "admin", **env)
    assert promoted.returncode == 0 and f"User {first}" in promoted.stdout
    assert client.get("/admin").status == 200  # roles are read at every request

    deactivated = _admin("deactivate", first, **env)
    assert (deactivated.returncode, deactivated.stdout) == (0, f"User {first} deactivated.\n")
    assert client.session()["authenticated"] is False
    assert Client(live.port).submit("/login", email=first, password=NEW_PASSWORD).status == 400
    assert _users(live.db)[first]["active"] is False

    deleted = _admin("delete", second, **env)
    assert (deleted.returncode, deleted.stdout) == (0, f"User {second} deleted.\n")
    assert other.session()["authenticated"] is False
    assert second not in _users(live.db)
    assert _db_count(live.db, "SELECT count(*) FROM users WHERE email = ?", second) == 0


@pytest.mark.parametrize("args", [("set-role", "EMAIL", "editor"), ("deactivate", "EMAIL"),
                                  ("delete", "EMAIL")])
def test_command_on_an_unknown_user_exits_3(db_file: str, args: tuple[str, ...]) -> None:
    email = _email("cli-nobody")
    result = _admin(*(email if a == "EMAIL" else a for a in args), "--db", db_file)
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr == f"No such user: {email}.\n"


def test_command_hashes_with_argon2_in_the_profile_asked_for(db_file: str) -> None:
    fast, default = _email("cli-fast"), _email("cli-default")
    _admin("create", fast, SANDBOX_DB=db_file, SANDBOX_NEW_PASSWORD=NEW_PASSWORD,
           SANDBOX_HASH_PROFILE="fast")
    _admin("create", default, SANDBOX_DB=db_file, SANDBOX_NEW_PASSWORD=NEW_PASSWORD)
    with sqlite3.connect(db_file) as conn:
        hashes = dict(conn.execute("SELECT email, password_hash FROM users").fetchall())
    assert hashes[fast].startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert hashes[default].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert NEW_PASSWORD.encode() not in Path(db_file).read_bytes()


@pytest.mark.parametrize(("args", "env", "message"), [
    (("list",), {}, "No database: pass --db PATH or set SANDBOX_DB"),
    (("list", "--db", "/nonexistent/authprobe.sqlite3"), {}, "No database file at"),
    (("create", "EMAIL", "--db", "DB"), {}, "Set SANDBOX_NEW_PASSWORD to the new user's password"),
    (("create", "EMAIL"), {"SANDBOX_DB": "DB", "SANDBOX_NEW_PASSWORD": "short"},
     "SANDBOX_NEW_PASSWORD must be at least 8 characters."),
    (("create", "not-an-email"), {"SANDBOX_DB": "DB", "SANDBOX_NEW_PASSWORD": NEW_PASSWORD},
     "Not a valid email address: not-an-email."),
])
def test_command_usage_problems_exit_2_with_one_sentence(
        db_file: str, args: tuple[str, ...], env: dict[str, str], message: str) -> None:
    placeholders = {"EMAIL": _email("cli-usage"), "DB": db_file}
    result = _admin(*(placeholders.get(a, a) for a in args),
                    **{k: placeholders.get(v, v) for k, v in env.items()})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stderr.rstrip().endswith(".")
    assert _users(db_file) == {}


@pytest.mark.parametrize("args", [("create",), ("set-role", "EMAIL", "owner"),
                                  ("create", "EMAIL", "--role", "owner"), ()])
def test_command_bad_arguments_exit_2(db_file: str, args: tuple[str, ...]) -> None:
    argv = [_email("cli-args") if a == "EMAIL" else a for a in args]
    result = _admin(*argv, SANDBOX_DB=db_file, SANDBOX_NEW_PASSWORD=NEW_PASSWORD)
    assert result.returncode == 2 and "usage: python -m authprobe.sandbox.admin" in result.stderr
    assert _users(db_file) == {}


def test_a_password_on_the_command_line_is_refused_and_not_echoed(db_file: str) -> None:
    email, typed = _email("cli-argv"), "typed-on-the-command-line-99"
    result = subprocess.run(
        [sys.executable, "-m", "authprobe.sandbox.admin", "--db", db_file, "create", email, typed],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=_clean_env())
    assert result.returncode == 2
    assert typed not in result.stdout + result.stderr
    assert "SANDBOX_NEW_PASSWORD" in result.stderr
    assert _users(db_file) == {}


def test_command_db_option_works_after_the_subcommand_too(db_file: str) -> None:
    email = _email("cli-db-after")
    assert _admin("create", email, "--db", db_file,
                  SANDBOX_NEW_PASSWORD=NEW_PASSWORD).returncode == 0
    assert _admin("--db", db_file, "list").stdout == json.dumps(
        {"email": email, "role": "member", "active": True, "mfa": False}) + "\n"

