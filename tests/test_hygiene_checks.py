"""Each hygiene check of e2e/test_hygiene.py, shown to flag its problem when planted.

Real Chromium and real loopback servers: a cookie set without HttpOnly, a page served
cacheable, a token put in localStorage, a test hook that answers without its token.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Error, Playwright, sync_playwright
from pydantic import SecretStr

from authprobe.pages.account import AccountShell
from authprobe.profile import Hooks, HttpOperation, TargetProfile
from authprobe.security.hygiene import (
    cache_problems,
    call_hooks_unlocked,
    contains_secret,
    cookie_problems,
    hook_lock_problems,
    link_tokens,
    redact,
    run_secrets,
    storage_problems,
)
from authprobe.security.watch import DataFlowLog
from authprobe.settings import Settings
from authprobe.target.app import Target
from tests.test_watch import CHROMIUM_ARGS

pytestmark = pytest.mark.hygiene

HOOK_TOKEN = secrets.token_urlsafe(24)
HOOKS = Hooks(
    backdate_sessions=HttpOperation(method="POST", path="/__test__/sessions/backdate",
                                    json={"email": "{email}", "idle_seconds": "{idle_seconds}"}),
    backdate_tokens=HttpOperation(method="POST", path="/__test__/tokens/backdate",
                                  json={"email": "{email}", "kind": "{kind}"}),
)
VALUES = {"email": "qa+x@example.test", "idle_seconds": 99_999, "kind": "reset"}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxYSJ9.c2lnbmF0dXJl"


@contextmanager
def app(headers: dict[str, str], *, hook_locked: bool) -> Iterator[str]:
    """GET / answers a page with `headers`; POST hooks answer 200, or 401 without HOOK_TOKEN."""

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status: int, content_type: str, body: bytes, extra: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.reply(200, "text/html", b"<h1>Your account</h1>", headers)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            allowed = not hook_locked or self.headers.get(HOOKS.token_header) == HOOK_TOKEN
            status = 200 if allowed else 401
            self.reply(status, "application/json", json.dumps({"sessions": 1}).encode(), {})

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    """One Playwright for the module: the sync API cannot run two at once."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(pw: Playwright) -> Iterator[Browser]:
    browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# ---------------------------------------------------------------- session cookie flags


@pytest.mark.parametrize(
    ("set_cookie", "flagged"),
    [
        ("sid=abc123; Path=/; SameSite=Lax", "not HttpOnly"),
        ("sid=abc123; Path=/; HttpOnly; SameSite=Lax", None),
        ("sid=abc123; Path=/; HttpOnly; SameSite=Strict", None),
        ("sid=abc123; Path=/; HttpOnly; SameSite=None; Secure", "SameSite=None"),
    ],
)
def test_cookie_check_flags_a_session_cookie_chromium_keeps_without_httponly_or_samesite(
    chromium: Browser, set_cookie: str, flagged: str | None
) -> None:
    with app({"Set-Cookie": set_cookie}, hook_locked=True) as base:
        context = chromium.new_context()
        context.new_page().goto(base)
        (cookie,) = context.cookies()
        context.close()
    problems = cookie_problems(dict(cookie), https=False)
    if flagged is None:
        assert problems == []
    else:
        assert len(problems) == 1 and flagged in problems[0], problems
        assert "abc123" not in problems[0], "a problem must never show the cookie's value"


def test_cookie_check_wants_secure_only_on_https() -> None:
    cookie = {"name": "sid", "value": "v", "httpOnly": True, "secure": False, "sameSite": "Lax"}
    assert cookie_problems(cookie, https=False) == []
    (problem,) = cookie_problems(cookie, https=True)
    assert "not Secure" in problem
    assert cookie_problems({**cookie, "secure": True}, https=True) == []


# ---------------------------------------------------------------- cacheable pages


@pytest.mark.parametrize(
    ("cache_control", "flagged"),
    [
        ("private, max-age=600", True),
        (None, True),
        ("no-cache", True),
        ("no-store", False),
        ("private, no-store, max-age=0", False),
    ],
)
def test_cache_check_flags_an_authenticated_page_served_without_no_store(
    chromium: Browser, cache_control: str | None, flagged: bool
) -> None:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    log = DataFlowLog()
    with app(headers, hook_locked=True) as base:
        context = chromium.new_context()
        log.attach(context)
        context.new_page().goto(base + "/account")
        context.close()
    (exchange,) = [e for e in log.exchanges if e.url.endswith("/account")]
    assert bool(cache_problems(exchange.response_headers)) is flagged, exchange.response_headers


# ---------------------------------------------------------------- web storage


@pytest.mark.parametrize(
    ("script", "flagged"),
    [
        ("localStorage.setItem('prefs', SESSION)", "session cookie's value"),
        ("sessionStorage.setItem('user', 'x.' + JWT)", "JWT"),
        ("localStorage.setItem('accessToken', 'opaque-value')", "named like an auth token"),
        ("localStorage.setItem('theme', 'dark')", None),
    ],
)
def test_storage_check_flags_a_token_a_page_put_in_web_storage(
    chromium: Browser, script: str, flagged: str | None
) -> None:
    session = secrets.token_urlsafe(24)
    with app({}, hook_locked=True) as base:
        context = chromium.new_context()
        page = context.new_page()
        page.goto(base)
        page.evaluate(f"([SESSION, JWT]) => {{ {script}; }}", [session, JWT])
        stored = AccountShell(page, TargetProfile(name="planted")).stored_values()
        context.close()
    problems = storage_problems(stored, [session])
    if flagged is None:
        assert problems == []
    else:
        assert len(problems) == 1 and flagged in problems[0], problems
        assert session not in problems[0] and JWT not in problems[0]


# ---------------------------------------------------------------- locked test hooks


@pytest.mark.parametrize("locked", [False, True])
def test_hook_check_flags_a_test_hook_that_answers_without_its_token(
    pw: Playwright, locked: bool
) -> None:
    with app({}, hook_locked=locked) as base:
        stranger = pw.request.new_context(base_url=base)
        statuses = call_hooks_unlocked(stranger, HOOKS, VALUES, timeout_s=5)
        stranger.dispose()
    problems = hook_lock_problems(statuses)
    if locked:
        assert statuses and set(statuses.values()) == {401} and problems == []
    else:
        assert len(problems) == 4, problems  # two hooks, each without a token and with a wrong one
        assert any("backdate_sessions answered 200 to a call without a token" in p for p in problems)
        assert any("backdate_tokens answered 200 to a call with a wrong token" in p for p in problems)


def test_hook_check_accepts_hooks_that_do_not_exist_outside_test_mode() -> None:
    statuses = {("backdate_sessions", "without a token"): 404, ("x", "with a wrong token"): 403}
    assert hook_lock_problems(statuses) == []


# ---------------------------------------------------------------- tokens, secrets, redaction


def test_link_tokens_are_the_query_values_and_long_path_parts() -> None:
    token = secrets.token_urlsafe(32)
    assert link_tokens(f"https://app.test/reset/confirm?token={token}") == [token]
    assert link_tokens(f"https://app.test/activate/{token}/") == [token]
    assert link_tokens("https://app.test/account") == []


def test_run_secrets_include_the_tokens_the_started_sandbox_was_given() -> None:
    generated = {name: SecretStr(secrets.token_urlsafe(18)) for name in ("admin", "hook", "imap")}
    target = Target("http://127.0.0.1:1", "127.0.0.1", 1, "qa", generated["imap"], False,
                    "qa@sandbox.test", generated["admin"], generated["hook"])
    found = run_secrets(Settings(_env_file=None), target)  # type: ignore[call-arg]
    assert {name: s.get_secret_value() for name, s in found.items()} == {
        "E2E_ADMIN_TOKEN": generated["admin"].get_secret_value(),
        "E2E_HOOK_TOKEN": generated["hook"].get_secret_value(),
        "E2E_IMAP_PASSWORD": generated["imap"].get_secret_value(),
    }


def test_redact_removes_an_admin_token_from_a_playwright_error_message(pw: Playwright) -> None:
    token = SecretStr(secrets.token_urlsafe(24))
    request = pw.request.new_context(base_url="http://127.0.0.1:9")
    with pytest.raises(Error) as caught:
        request.post("/api/admin/users", timeout=3000,
                     headers={"Authorization": f"Bearer {token.get_secret_value()}"})
    request.dispose()
    message = str(caught.value)
    secrets_by_name = {"E2E_ADMIN_TOKEN": token}
    assert contains_secret(message, secrets_by_name), "Playwright no longer lists request headers?"
    cleaned = redact(message, secrets_by_name)
    assert token.get_secret_value() not in cleaned and "Bearer [E2E_ADMIN_TOKEN]" in cleaned
